// floe-franz: a small command-line client built on franz-go, used by Floe's tests as the
// franz-go representative (the kcl tool is not served by the Go module proxy these machines use).
// Every command prints JSON lines so tests can check results exactly.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

func die(err error) {
	fmt.Fprintln(os.Stderr, "floe-franz:", err)
	os.Exit(1)
}

func emit(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		die(err)
	}
	fmt.Println(string(b))
}

func brokers() []string {
	s := os.Getenv("FLOE_BROKERS")
	if s == "" {
		s = "127.0.0.1:9092"
	}
	return strings.Split(s, ",")
}

// security: TLS and SASL from the environment, so every command can use them:
// FLOE_TLS_CA_FILE (PEM; set: connect with TLS, checking the broker against it),
// FLOE_SASL_MECHANISM (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER),
// FLOE_SASL_USERNAME and FLOE_SASL_PASSWORD, or FLOE_SASL_TOKEN for OAUTHBEARER.
func security() []kgo.Opt {
	var opts []kgo.Opt
	if ca := os.Getenv("FLOE_TLS_CA_FILE"); ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			die(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			die(fmt.Errorf("no certificate in %s", ca))
		}
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	user, pass := os.Getenv("FLOE_SASL_USERNAME"), os.Getenv("FLOE_SASL_PASSWORD")
	switch m := os.Getenv("FLOE_SASL_MECHANISM"); m {
	case "":
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
	case "OAUTHBEARER":
		opts = append(opts, kgo.SASL(oauth.Auth{Token: os.Getenv("FLOE_SASL_TOKEN")}.AsMechanism()))
	default:
		die(fmt.Errorf("unknown FLOE_SASL_MECHANISM %q", m))
	}
	return opts
}

func newClient(opts ...kgo.Opt) *kgo.Client {
	base := append([]kgo.Opt{kgo.SeedBrokers(brokers()...)}, security()...)
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		die(err)
	}
	return cl
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: floe-franz COMMAND [flags]
  metadata
  create-topic -topic T [-partitions N] [-config k=v,...]
  delete-topic -topic T
  describe-configs -topic T
  produce -topic T [-compression none|gzip|snappy|lz4|zstd]   (stdin: one JSON {"key","value","partition","headers"} per line; values base64)
  consume -topic T -count N [-timeout 30s] [-group G [-balancer range|roundrobin|sticky|cooperative-sticky]]
          (with -group, -count 0 consumes until SIGTERM or SIGINT, then commits and leaves)
environment: FLOE_BROKERS; FLOE_TLS_CA_FILE; FLOE_SASL_MECHANISM (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512,
  OAUTHBEARER) with FLOE_SASL_USERNAME and FLOE_SASL_PASSWORD, or FLOE_SASL_TOKEN`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	topic := fs.String("topic", "", "topic name")
	partitions := fs.Int("partitions", 1, "partition count")
	configs := fs.String("config", "", "topic configs k=v,k=v")
	compression := fs.String("compression", "none", "compression codec")
	count := fs.Int("count", 0, "records to consume")
	timeout := fs.Duration("timeout", 30*time.Second, "overall timeout")
	group := fs.String("group", "", "consumer group (empty: direct partition consumption)")
	balancer := fs.String("balancer", "", "group balancer (empty: franz-go's default, cooperative-sticky)")
	_ = fs.Parse(args)

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	switch cmd {
	case "metadata":
		adm := kadm.NewClient(newClient())
		md, err := adm.Metadata(ctx)
		if err != nil {
			die(err)
		}
		for _, b := range md.Brokers {
			emit(map[string]any{"broker": b.NodeID, "host": b.Host, "port": b.Port})
		}
		for _, t := range md.Topics.Sorted() {
			emit(map[string]any{"topic": t.Topic, "partitions": len(t.Partitions), "error": errString(t.Err)})
		}
	case "create-topic":
		adm := kadm.NewClient(newClient())
		cfg := map[string]*string{}
		if *configs != "" {
			for _, kv := range strings.Split(*configs, ",") {
				k, v, _ := strings.Cut(kv, "=")
				cfg[k] = &v
			}
		}
		res, err := adm.CreateTopic(ctx, int32(*partitions), -1, cfg, *topic)
		if err != nil {
			die(err)
		}
		emit(map[string]any{"topic": res.Topic, "error": errString(res.Err)})
	case "delete-topic":
		adm := kadm.NewClient(newClient())
		res, err := adm.DeleteTopics(ctx, *topic)
		if err != nil {
			die(err)
		}
		for _, r := range res.Sorted() {
			emit(map[string]any{"topic": r.Topic, "error": errString(r.Err)})
		}
	case "describe-configs":
		adm := kadm.NewClient(newClient())
		res, err := adm.DescribeTopicConfigs(ctx, *topic)
		if err != nil {
			die(err)
		}
		for _, rc := range res {
			for _, c := range rc.Configs {
				emit(map[string]any{"name": c.Key, "value": c.MaybeValue(), "source": c.Source.String()})
			}
			if rc.Err != nil {
				emit(map[string]any{"error": errString(rc.Err)})
			}
		}
	case "produce":
		produce(ctx, *topic, *compression)
	case "consume":
		consume(ctx, *topic, *count, *group, *balancer)
	default:
		usage()
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type wireRecord struct {
	Key       *string           `json:"key"`
	Value     *string           `json:"value"`
	Partition int32             `json:"partition"`
	Offset    int64             `json:"offset"`
	Timestamp int64             `json:"timestamp"`
	Headers   map[string]string `json:"headers,omitempty"`
}

func b64(b []byte) *string {
	if b == nil {
		return nil
	}
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}

func unb64(s *string) []byte {
	if s == nil {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(*s)
	if err != nil {
		die(err)
	}
	return b
}

func produce(ctx context.Context, topic, compression string) {
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	codec, ok := codecs[compression]
	if !ok {
		die(fmt.Errorf("unknown compression %q", compression))
	}
	cl := newClient(kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(codec),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	defer cl.Close()
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var recs []*kgo.Record
	for sc.Scan() {
		var w wireRecord
		if err := json.Unmarshal(sc.Bytes(), &w); err != nil {
			die(err)
		}
		r := &kgo.Record{Key: unb64(w.Key), Value: unb64(w.Value), Partition: w.Partition}
		if w.Timestamp != 0 {
			r.Timestamp = time.UnixMilli(w.Timestamp)
		}
		for k, v := range w.Headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		die(err)
	}
	results := cl.ProduceSync(ctx, recs...)
	for _, res := range results {
		if res.Err != nil {
			die(res.Err)
		}
		emit(map[string]any{"partition": res.Record.Partition, "offset": res.Record.Offset})
	}
}

func consume(ctx context.Context, topic string, count int, group, balancer string) {
	opts := []kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	if group != "" {
		// Only records printed are committed (marks), every second and before partitions are
		// revoked; rebalances wait until a poll's records are printed and marked.
		opts = append(opts, kgo.ConsumerGroup(group), kgo.AutoCommitMarks(), kgo.AutoCommitInterval(time.Second), kgo.BlockRebalanceOnPoll())
		balancers := map[string]kgo.GroupBalancer{
			"range": kgo.RangeBalancer(), "roundrobin": kgo.RoundRobinBalancer(), "sticky": kgo.StickyBalancer(),
			"cooperative-sticky": kgo.CooperativeStickyBalancer(),
		}
		if balancer != "" {
			b, ok := balancers[balancer]
			if !ok {
				die(fmt.Errorf("unknown balancer %q", balancer))
			}
			opts = append(opts, kgo.Balancers(b))
		}
	}
	// A group member with -count 0 consumes until it is told to stop.
	untilStopped := group != "" && count == 0
	polling := ctx
	if untilStopped {
		var stop context.CancelFunc
		polling, stop = signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
		defer stop()
	}
	cl := newClient(opts...)
	defer cl.Close()
	seen := 0
	for untilStopped || seen < count {
		fetches := cl.PollFetches(polling)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			die(fmt.Errorf("timed out after %d of %d records", seen, count))
		}
		if polling.Err() != nil {
			cl.AllowRebalance() // even an interrupted poll blocks rebalances, leaving included
			break               // signalled
		}
		fetches.EachError(func(t string, p int32, err error) { die(fmt.Errorf("%s[%d]: %w", t, p, err)) })
		fetches.EachRecord(func(r *kgo.Record) {
			if !untilStopped && seen >= count {
				return
			}
			seen++
			h := map[string]string{}
			for _, rh := range r.Headers {
				h[rh.Key] = string(rh.Value)
			}
			emit(wireRecord{Key: b64(r.Key), Value: b64(r.Value), Partition: r.Partition, Offset: r.Offset,
				Timestamp: r.Timestamp.UnixMilli(), Headers: h})
			cl.MarkCommitRecords(r)
		})
		cl.AllowRebalance()
	}
	if group != "" {
		if err := cl.CommitMarkedOffsets(ctx); err != nil {
			die(err)
		}
	}
}

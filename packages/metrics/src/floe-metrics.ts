// The Prometheus metrics of one Floe node (docs/observability.md). One registry per node; the
// composition root feeds it from the listener's and the handlers' hooks, the storage core's flush
// hook, and the instrumented stores, and gives it providers for what is read at scrape time
// (connections, cache counters, consumer lag).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SIZE_BUCKETS = [1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024];

export interface ConsumerLag {
  group: string;
  topic: string;
  partition: number;
  /** High watermark minus the committed offset. */
  lag: number;
}

export interface ScrapeProviders {
  /** Open Kafka connections. */
  connections?: () => number;
  /** The storage core's cumulative cache counters. */
  cache?: () => { hits: number; misses: number; bytes: number };
  /** Lag of every committed partition of every group (bounded by the provider). */
  consumerLag?: () => Promise<ConsumerLag[]>;
}

/** A counter whose value is a cumulative number read at scrape time (counters only go up). */
function cumulative(counter: Counter, read: () => number | undefined): void {
  let last = 0;
  const collect = () => {
    const now = read();
    if (now === undefined) return;
    if (now > last) counter.inc(now - last);
    last = Math.max(last, now);
  };
  (counter as unknown as { collect: () => void }).collect = collect;
}

export class FloeMetrics {
  readonly registry = new Registry();
  private providers: ScrapeProviders = {};

  readonly kafkaRequests = new Counter({
    name: 'floe_kafka_requests_total',
    help: 'Kafka requests received, by API and what the listener did with them (dispatched, rejected, unsupported-version)',
    labelNames: ['api', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly kafkaRequestBytes = new Counter({
    name: 'floe_kafka_request_bytes_total',
    help: 'Bytes of Kafka request frames received, by API',
    labelNames: ['api'] as const,
    registers: [this.registry],
  });
  readonly kafkaRequestSeconds = new Histogram({
    name: 'floe_kafka_request_duration_seconds',
    help: 'Time from a request reaching its handler to its answer, by API and outcome (answered, no-response, closed, failed)',
    labelNames: ['api', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly grpcCalls = new Counter({
    name: 'floe_grpc_calls_total',
    help: 'gRPC calls finished, by method (package.Service/Method) and status code',
    labelNames: ['method', 'code'] as const,
    registers: [this.registry],
  });
  readonly grpcCallSeconds = new Histogram({
    name: 'floe_grpc_call_duration_seconds',
    help: 'gRPC call duration by method: unary calls from request to answer, streams over their whole life',
    labelNames: ['method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly grpcMessages = new Counter({
    name: 'floe_grpc_messages_total',
    help: 'gRPC messages by method and direction (in: from clients, out: to clients)',
    labelNames: ['method', 'direction'] as const,
    registers: [this.registry],
  });
  readonly grpcBytes = new Counter({
    name: 'floe_grpc_message_bytes_total',
    help: 'Bytes of gRPC messages (serialized protobuf) by method and direction',
    labelNames: ['method', 'direction'] as const,
    registers: [this.registry],
  });
  readonly kafkaConnections = new Gauge({
    name: 'floe_kafka_connections',
    help: 'Open Kafka connections',
    registers: [this.registry],
    collect: () => {
      const n = this.providers.connections?.();
      if (n !== undefined) this.kafkaConnections.set(n);
    },
  });

  readonly flushSeconds = new Histogram({
    name: 'floe_flush_duration_seconds',
    help: 'From the start of a segment upload to its last journal commit',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly flushBytes = new Histogram({
    name: 'floe_flush_segment_bytes',
    help: 'Size of each segment object written',
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly flushBatches = new Counter({
    name: 'floe_flush_batches_total',
    help: 'Record batches written in segments',
    registers: [this.registry],
  });

  readonly aclRefreshFailures = new Counter({
    name: 'floe_acl_refresh_failures_total',
    help: 'Failed reads of the ACLs from the coordination table (the node keeps its last good set)',
    registers: [this.registry],
  });
  readonly aclVersion = new Gauge({
    name: 'floe_acl_version',
    help: 'Version of the ACL set this node decides with (-1: never loaded, so only super users are allowed)',
    registers: [this.registry],
  });

  readonly objectStoreRequests = new Counter({
    name: 'floe_object_store_requests_total',
    help: 'Object store requests, by operation (put, get, head, delete, list) and outcome (ok, not-found, exists, error)',
    labelNames: ['op', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly objectStoreSeconds = new Histogram({
    name: 'floe_object_store_request_duration_seconds',
    help: 'Object store request latency, by operation',
    labelNames: ['op'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly objectStoreBytes = new Counter({
    name: 'floe_object_store_bytes_total',
    help: 'Bytes written to (out) and read from (in) the object store',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });

  readonly coordinationCalls = new Counter({
    name: 'floe_coordination_calls_total',
    help: 'Coordination table calls, by operation (get, query, put, delete, transact) and outcome (ok, condition-failed, error)',
    labelNames: ['op', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly coordinationSeconds = new Histogram({
    name: 'floe_coordination_call_duration_seconds',
    help: 'Coordination table call latency, by operation',
    labelNames: ['op'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly coordinationUnits = new Counter({
    name: 'floe_coordination_capacity_units_total',
    help: 'Capacity units the coordination table billed, by kind (read, write), as DynamoDB counts them',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly cacheHits = new Counter({ name: 'floe_cache_hits_total', help: 'Segment byte-cache hits', registers: [this.registry] });
  readonly cacheMisses = new Counter({ name: 'floe_cache_misses_total', help: 'Segment byte-cache misses', registers: [this.registry] });
  readonly cacheBytes = new Gauge({
    name: 'floe_cache_bytes',
    help: 'Bytes held by the segment byte cache',
    registers: [this.registry],
    collect: () => {
      const c = this.providers.cache?.();
      if (c) this.cacheBytes.set(c.bytes);
    },
  });

  readonly consumerLag = new Gauge({
    name: 'floe_consumer_group_lag',
    help: 'High watermark minus committed offset, per group and partition',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [this.registry],
    collect: async () => {
      const provider = this.providers.consumerLag;
      if (!provider) return;
      this.consumerLag.reset();
      for (const l of await provider()) this.consumerLag.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });

  constructor() {
    // Process memory, CPU, event-loop lag, GC: prom-client's standard process and Node.js metrics.
    collectDefaultMetrics({ register: this.registry });
    cumulative(this.cacheHits, () => this.providers.cache?.().hits);
    cumulative(this.cacheMisses, () => this.providers.cache?.().misses);
  }

  /** What is read at scrape time. Later calls add to (and override) earlier ones. */
  provide(providers: ScrapeProviders): void {
    this.providers = { ...this.providers, ...providers };
  }

  /** Counts the table's billed units, read from a store's cumulative counters at scrape time. */
  billedUnits(read: () => { readUnits: number; writeUnits: number }): void {
    const kinds = { read: 0, write: 0 };
    const collect = () => {
      const s = read();
      for (const [kind, now] of [['read', s.readUnits], ['write', s.writeUnits]] as const) {
        if (now > kinds[kind]) this.coordinationUnits.inc({ kind }, now - kinds[kind]);
        kinds[kind] = Math.max(kinds[kind], now);
      }
    };
    (this.coordinationUnits as unknown as { collect: () => void }).collect = collect;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

// `floe produce` and `floe consume`: records in and out of a running node through its gRPC door
// (docs/grpc.md). Lines in, lines (or JSON) out.
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { callUnary, consumeGroup, floe, recordsClient, type ClientSecurity, type RecordsClient } from '@floe/grpc';
import { doorClientUsage, doorCredentialsFromEnv, doorCredentialsProblem, readCaFile, takeDoorClientOption, type DoorClientCredentials } from './door-client-args.ts';

export const DATA_USAGE = `usage:
  floe produce TOPIC [--partition N] [--key-separator SEP] [--file PATH]
      one record per line (stdin, or PATH with a progress bar on a terminal);
      with --key-separator, the text before the first SEP is the key
  floe consume TOPIC [--partition N] [--from earliest|latest|OFFSET] [--timestamp MS]
                     [--count N] [--format value|json]
      prints records from the partition (default 0, from earliest) until --count or Ctrl-C
  floe consume TOPIC[,TOPIC...] --group GROUP [--from earliest|latest] [--count N]
                     [--format value|json]
      consumes as a member of consumer group GROUP (partitions shared with the group's other
      members, Kafka consumers with group.protocol=consumer among them), starting from the
      group's committed offsets (--from: where a partition without one starts; default latest)
      and committing what was printed
options:
  --grpc HOST:PORT   a node's gRPC address (default: $FLOE_GRPC_ADDRESS, else 127.0.0.1:50051)
  --tls              TLS with the system's CAs (implied by --ca-file)
${doorClientUsage('FLOE_GRPC')}`;

export interface DataCliIo {
  out(line: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  /** Whether progress may be drawn (stderr is a terminal). */
  progress: boolean;
  /** Aborts a running consume (Ctrl-C). */
  signal?: AbortSignal;
}

class UsageError extends Error {}

/** Records per ProduceStream request, and bytes. */
const CHUNK_RECORDS = 500;
const CHUNK_BYTES = 256 * 1024;

interface Options {
  topic: string;
  address: string;
  partition: number | undefined;
  keySeparator: string | undefined;
  file: string | undefined;
  from: string;
  timestamp: number | undefined;
  count: number | undefined;
  format: 'value' | 'json';
  group: string | undefined;
  fromGiven: boolean;
  tls: boolean;
  credentials: DoorClientCredentials;
  /** What the client is built with (set once the CA file is read). */
  security: ClientSecurity;
}

function parse(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const o: Options = {
    topic: '',
    address: env.FLOE_GRPC_ADDRESS ?? '127.0.0.1:50051',
    partition: undefined,
    keySeparator: undefined,
    file: undefined,
    from: 'earliest',
    timestamp: undefined,
    count: undefined,
    format: 'value',
    group: undefined,
    fromGiven: false,
    tls: false,
    credentials: doorCredentialsFromEnv(env, 'FLOE_GRPC'),
    security: {},
  };
  const positional: string[] = [];
  const whole = (flag: string, v: string) => {
    if (!/^\d+$/.test(v)) throw new UsageError(`${flag}: expected a whole number, got "${v}"`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (takeDoorClientOption(o.credentials, a, value)) continue;
    if (a === '--grpc') o.address = value();
    else if (a === '--tls') o.tls = true;
    else if (a === '--partition') o.partition = whole(a, value());
    else if (a === '--key-separator') o.keySeparator = value();
    else if (a === '--file') o.file = value();
    else if (a === '--group') o.group = value();
    else if (a === '--from') {
      o.from = value();
      o.fromGiven = true;
      if (!/^(earliest|latest|\d+)$/.test(o.from)) throw new UsageError(`--from: expected earliest, latest or an offset, got "${o.from}"`);
    } else if (a === '--timestamp') o.timestamp = whole(a, value());
    else if (a === '--count') o.count = whole(a, value());
    else if (a === '--format') {
      const f = value();
      if (f !== 'value' && f !== 'json') throw new UsageError(`--format: expected value or json, got "${f}"`);
      o.format = f;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  const problem = doorCredentialsProblem(o.credentials);
  if (problem) throw new UsageError(problem);
  if (positional.length !== 1) throw new UsageError('name one topic');
  o.topic = positional[0]!;
  if (o.group !== undefined) {
    if (o.group === '') throw new UsageError('--group: the group id is empty');
    if (o.partition !== undefined || o.timestamp !== undefined) throw new UsageError('--group takes no --partition or --timestamp: the group assigns partitions');
    if (o.fromGiven && o.from !== 'earliest' && o.from !== 'latest') throw new UsageError('--group: --from is earliest or latest (where a partition without a committed offset starts)');
  }
  return o;
}

/** TLS (with the CA file, if any) and the credentials of the options; throws when the CA file does not read. */
function clientSecurity(o: Options): ClientSecurity {
  const ca = readCaFile(o.credentials);
  return { ...o.credentials, ...(o.tls || ca ? { tls: { ca } } : {}) };
}

function describe(err: unknown): string {
  const e = err as { details?: string; message?: string };
  return e.details || e.message || String(err);
}

async function produce(o: Options, io: DataCliIo): Promise<number> {
  const client = recordsClient(o.address, o.security);
  const total = o.file ? statSync(o.file).size : 0;
  const input = o.file ? createReadStream(o.file) : io.stdin;
  let readBytes = 0;
  (input as NodeJS.ReadableStream).on('data', (d: Buffer | string) => (readBytes += d.length));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const stream = client.produceStream();
  let sent = 0;
  let acked = 0;
  let records = 0;
  const perPartition = new Map<number, number>();
  let failure: unknown;
  const done = new Promise<void>((resolve) => {
    stream.on('data', (r: { partitions: { partition: number; recordCount: number }[] }) => {
      acked++;
      for (const p of r.partitions) {
        records += p.recordCount;
        perPartition.set(p.partition, (perPartition.get(p.partition) ?? 0) + p.recordCount);
      }
      if (io.progress && total > 0) {
        const pct = Math.min(100, Math.floor((readBytes / total) * 100));
        io.err(`\r[${'#'.repeat(pct / 5).padEnd(20)}] ${pct}% ${records} records`);
      }
    });
    stream.on('error', (err) => {
      failure = err;
      resolve();
    });
    stream.on('end', () => resolve());
  });
  let chunk: { key?: Buffer; value: Buffer }[] = [];
  let chunkBytes = 0;
  const flush = () => {
    if (chunk.length === 0) return;
    stream.write({ topic: o.topic, ...(o.partition === undefined ? {} : { partition: o.partition }), records: chunk });
    sent++;
    chunk = [];
    chunkBytes = 0;
  };
  for await (const line of lines) {
    if (failure) break;
    let key: Buffer | undefined;
    let value = line;
    if (o.keySeparator !== undefined) {
      const at = line.indexOf(o.keySeparator);
      if (at >= 0) {
        key = Buffer.from(line.slice(0, at));
        value = line.slice(at + o.keySeparator.length);
      }
    }
    const record = { ...(key ? { key } : {}), value: Buffer.from(value) };
    chunk.push(record);
    chunkBytes += record.value.length + (key?.length ?? 0);
    if (chunk.length >= CHUNK_RECORDS || chunkBytes >= CHUNK_BYTES) flush();
    // Backpressure: the server reads at most its in-flight window; so do we.
    while (sent - acked >= 32 && !failure) await new Promise((r) => setTimeout(r, 5));
  }
  flush();
  stream.end();
  await done;
  client.close();
  if (io.progress && total > 0) io.err('\n');
  if (failure) {
    io.err(`floe: produce to ${o.topic} stopped after ${records} records: ${describe(failure)}\n`);
    return 1;
  }
  const parts = [...perPartition].sort((a, b) => a[0] - b[0]).map(([p, n]) => `${p}:${n}`).join(' ');
  io.out(`produced ${records} records to ${o.topic} (partition:records ${parts || 'none'})`);
  return 0;
}

const text = (b: Uint8Array | null | undefined) => (b == null ? null : Buffer.from(b).toString('utf8'));

/** One record as --format says; in a group, JSON lines also name the topic and partition. */
function printRecord(o: Options, io: DataCliIo, r: floe.v1.IFetchedRecord, where?: { topic: string; partition: number }): void {
  if (o.format === 'json') {
    io.out(
      JSON.stringify({
        ...where,
        offset: Number(r.offset),
        timestamp: Number(r.timestampMs),
        key: text(r.key),
        value: text(r.value),
        headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, text(h.value)])),
      }),
    );
  } else io.out(text(r.value) ?? '');
}

/** `floe consume --group`: a member of the group until --count records were printed or Ctrl-C. */
async function consumeInGroup(o: Options, io: DataCliIo): Promise<number> {
  const client = recordsClient(o.address, o.security);
  const stop = new AbortController();
  io.signal?.addEventListener('abort', () => stop.abort(), { once: true });
  let printed = 0;
  try {
    await consumeGroup(client, {
      subscribe: {
        groupId: o.group!,
        topics: o.topic.split(','),
        reset: o.from === 'earliest' && o.fromGiven ? floe.v1.StartPosition.START_POSITION_EARLIEST : floe.v1.StartPosition.START_POSITION_LATEST,
      },
      signal: stop.signal,
      onRecords: (m) => {
        let n = 0;
        for (const r of m.records ?? []) {
          if (o.count !== undefined && printed >= o.count) break;
          printRecord(o, io, r, { topic: m.topic ?? '', partition: m.partition ?? 0 });
          printed++;
          n++;
        }
        if (o.count !== undefined && printed >= o.count) stop.abort();
        return n;
      },
      onAssignment: (a) => {
        const list = (ts: floe.v1.ITopicPartitions[]) => ts.map((t) => `${t.topic}:${(t.partitions ?? []).join(',')}`).join(' ') || 'none';
        const revoked = a.revoked ?? [];
        if (io.progress) io.err(`floe: group ${o.group}: own ${list(a.owned ?? [])}${revoked.length > 0 ? `; revoked ${list(revoked)}` : ''}\n`);
      },
    });
    return 0;
  } catch (err) {
    if ((err as { code?: number }).code === 1 /* CANCELLED */) return 0;
    io.err(`floe: ${describe(err)}\n`);
    return 1;
  } finally {
    client.close();
  }
}

async function consume(o: Options, io: DataCliIo): Promise<number> {
  if (o.group !== undefined) return consumeInGroup(o, io);
  const client: RecordsClient = recordsClient(o.address, o.security);
  const partition = o.partition ?? 0;
  // Fail fast on an unknown topic or partition with a one-off Fetch (Tail would report it too,
  // but only once the stream is set up).
  try {
    await callUnary(client.fetch, client, { topic: o.topic, partition, offset: 0, maxBytes: 1 });
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== 11 /* OUT_OF_RANGE: the log start moved past 0, fine */) {
      io.err(`floe: ${describe(err)}\n`);
      client.close();
      return 1;
    }
  }
  const start =
    o.timestamp !== undefined
      ? { timestampMs: o.timestamp }
      : o.from === 'earliest'
        ? { position: 1 }
        : o.from === 'latest'
          ? { position: 2 }
          : { offset: Number(o.from) };
  const stream = client.tail({ topic: o.topic, partition, ...start });
  let printed = 0;
  const code = await new Promise<number>((resolve) => {
    const stop = (c: number) => {
      stream.cancel();
      resolve(c);
    };
    io.signal?.addEventListener('abort', () => stop(0), { once: true });
    stream.on('data', (m: floe.v1.TailResponse) => {
      for (const r of m.records) {
        if (o.count !== undefined && printed >= o.count) break;
        printRecord(o, io, r);
        printed++;
      }
      if (o.count !== undefined && printed >= o.count) stop(0);
    });
    stream.on('error', (err: { code?: number }) => {
      if (err.code === 1 /* CANCELLED */) return resolve(0);
      io.err(`floe: ${describe(err)}\n`);
      resolve(1);
    });
    stream.on('end', () => resolve(0));
  });
  client.close();
  return code;
}

/** Runs `floe produce` or `floe consume`; resolves to the exit code (0, 1 failed, 2 usage). */
export async function runDataCommand(command: 'produce' | 'consume', argv: readonly string[], io: DataCliIo): Promise<number> {
  let o: Options;
  try {
    o = parse(argv, io.env);
    if (o.file !== undefined && command === 'produce') statSync(o.file);
  } catch (err) {
    io.err(`floe: ${(err as Error).message}\n${DATA_USAGE}\n`);
    return 2;
  }
  try {
    o.security = clientSecurity(o);
  } catch (err) {
    io.err(`floe: --ca-file: ${(err as Error).message}\n`);
    return 1;
  }
  return command === 'produce' ? produce(o, io) : consume(o, io);
}

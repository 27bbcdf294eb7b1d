// gRPC streaming produce throughput: 1 KiB records over ProduceStream to a FloeLog on the embedded
// default (temp dir), bounded by a record count and a time limit. Run:
//   node --conditions=floe-source packages/grpc/bench/produce-bench.ts [records] [recordsPerRequest] [inFlight] [seconds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, type ClientDuplexStream } from '@grpc/grpc-js';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { FloeLog } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { floe, recordsServiceDefinition, startGrpcServer } from '@floe/grpc';

const total = Number(process.argv[2] ?? 200_000);
const perRequest = Number(process.argv[3] ?? 100);
const inFlight = Number(process.argv[4] ?? 32);
const limitMs = Number(process.argv[5] ?? 30) * 1000;
const RECORD = 1024;

const dir = mkdtempSync(join(tmpdir(), 'floe-grpc-bench-'));
const objects = await FsObjectStore.open(join(dir, 'objects'));
const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
const log = await FloeLog.open({ objects, coordination, node: 'bench' });
await log.topics.create('bench', 1, {});
const server = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0 });
const Client = makeGenericClientConstructor(recordsServiceDefinition, 'Records');
const client = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure()) as unknown as {
  produceStream(): ClientDuplexStream<floe.v1.IProduceRequest, floe.v1.ProduceResponse>;
  close(): void;
};

const value = Buffer.alloc(RECORD, 'x');
const request: floe.v1.IProduceRequest = { topic: 'bench', partition: 0, records: Array.from({ length: perRequest }, (_, i) => ({ key: Buffer.from(`k${i}`), value })) };
const requests = Math.ceil(total / perRequest);
const cpu0 = process.cpuUsage();
const started = performance.now();
const latencies: number[] = [];
let sent = 0;
let acked = 0;
const sentAt: number[] = [];
const stream = client.produceStream();
await new Promise<void>((resolve, reject) => {
  const deadline = setTimeout(() => {
    stream.end();
  }, limitMs);
  const pump = () => {
    while (sent < requests && sent - acked < inFlight && performance.now() - started < limitMs) {
      sentAt.push(performance.now());
      stream.write(request);
      sent++;
    }
    if (sent === requests && acked === sent) stream.end();
  };
  stream.on('data', () => {
    latencies.push(performance.now() - sentAt[acked]!);
    acked++;
    pump();
  });
  stream.on('end', () => {
    clearTimeout(deadline);
    resolve();
  });
  stream.on('error', reject);
  pump();
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(0);
const records = acked * perRequest;
const mb = (records * RECORD) / 1e6;
process.stdout.write(
  `gRPC ProduceStream, ${RECORD} B records, ${perRequest} per request, ${inFlight} requests in flight: ` +
    `${records} records in ${seconds.toFixed(1)} s = ${(records / seconds).toFixed(0)} records/s, ${(mb / seconds).toFixed(1)} MB/s of values; ` +
    `ack latency p50 ${pct(50)} ms, p99 ${pct(99)} ms; process CPU ${((cpu.user + cpu.system) / 1e6 / seconds * 100).toFixed(0)}% (client and server in one process)\n`,
);
client.close();
await server.close();
await log.close();
await objects.close();
await coordination.close();
rmSync(dir, { recursive: true, force: true });

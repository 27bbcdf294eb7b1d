// A FloeLog on the embedded default (files + embedded coordination table) in a temp directory,
// the gRPC server on it (port 0) and grpc-js clients for the Records and Health services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, makeGenericClientConstructor, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { FloeLog } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { floe, grpc, healthServiceDefinition, recordsServiceDefinition, startGrpcServer, type RunningGrpcServer } from '../../src/index.ts';

export type RecordsClient = Client & {
  produce(req: floe.v1.IProduceRequest, cb: (err: ServiceError | null, res?: floe.v1.ProduceResponse) => void): void;
  produceStream(): import('@grpc/grpc-js').ClientDuplexStream<floe.v1.IProduceRequest, floe.v1.ProduceResponse>;
  fetch(req: floe.v1.IFetchRequest, cb: (err: ServiceError | null, res?: floe.v1.FetchResponse) => void): void;
  tail(req: floe.v1.ITailRequest): ClientReadableStream<floe.v1.TailResponse>;
};
export type HealthClient = Client & {
  check(req: grpc.health.v1.IHealthCheckRequest, cb: (err: ServiceError | null, res?: grpc.health.v1.HealthCheckResponse) => void): void;
};

const RecordsCtor = makeGenericClientConstructor(recordsServiceDefinition, 'Records');
const HealthCtor = makeGenericClientConstructor(healthServiceDefinition, 'Health');

export function recordsClient(address: string): RecordsClient {
  return new RecordsCtor(address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 16 * 1024 * 1024 }) as unknown as RecordsClient;
}
export function healthClient(address: string): HealthClient {
  return new HealthCtor(address, credentials.createInsecure()) as unknown as HealthClient;
}

/** Calls a unary method as a promise. */
export function call<Req, Res>(fn: (req: Req, cb: (err: ServiceError | null, res?: Res) => void) => void, client: Client, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res!))));
}

export interface GrpcFixture {
  log: FloeLog;
  server: RunningGrpcServer;
  address: string;
  records: RecordsClient;
  close(): Promise<void>;
}

export async function startFixture(): Promise<GrpcFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-grpc-'));
  const objects = await FsObjectStore.open(join(dir, 'objects'));
  const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  const log = await FloeLog.open({ objects, coordination, node: 'test', lingerMs: 2, pollIntervalMs: 20 });
  const server = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0 });
  const address = `127.0.0.1:${server.port}`;
  const records = recordsClient(address);
  return {
    log,
    server,
    address,
    records,
    close: async () => {
      records.close();
      await server.close();
      await log.close();
      await objects.close();
      await coordination.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects Tail messages until `count` records came or `ms` passed; then cancels the call. */
export function collectTail(stream: ClientReadableStream<floe.v1.TailResponse>, count: number, ms: number): Promise<floe.v1.IFetchedRecord[]> {
  return new Promise((resolve, reject) => {
    const got: floe.v1.IFetchedRecord[] = [];
    const timer = setTimeout(() => finish(), ms);
    const finish = () => {
      clearTimeout(timer);
      stream.cancel();
      resolve(got);
    };
    stream.on('data', (m: floe.v1.TailResponse) => {
      got.push(...m.records);
      if (got.length >= count) finish();
    });
    stream.on('error', (err: ServiceError) => {
      clearTimeout(timer);
      if (err.code === 1 /* CANCELLED */) resolve(got);
      else reject(err);
    });
  });
}

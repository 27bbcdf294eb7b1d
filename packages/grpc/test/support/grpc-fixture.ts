// A FloeLog on the embedded default (files + embedded coordination table) in a temp directory,
// the gRPC server on it (port 0) and grpc-js clients for the Records and Health services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { credentials, loadPackageDefinition, type ClientDuplexStream, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { AdminApi } from '@floe/admin-api';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { GroupCoordinator } from '@floe/groups';
import { recordsClient, type RecordsClient } from '../../src/client.ts';
import { floe, startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from '../../src/index.ts';

export { healthClient, recordsClient, type HealthClient, type RecordsClient } from '../../src/client.ts';
export { callUnary as call } from '../../src/client.ts';

export interface GrpcFixture {
  log: FloeLog;
  groups: GroupCoordinator;
  server: RunningGrpcServer;
  address: string;
  records: RecordsClient;
  close(): Promise<void>;
}

export async function startFixture(extra: Partial<GrpcServerOptions> = {}): Promise<GrpcFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-grpc-'));
  const objects = await FsObjectStore.open(join(dir, 'objects'));
  const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  const log = await FloeLog.open({ objects, coordination, node: 'test', lingerMs: 2, pollIntervalMs: 20 });
  // Fast heartbeats so that group tests see rebalances in milliseconds.
  const groups = new GroupCoordinator({ store: coordination, pollMs: 20, consumerSettings: { heartbeatIntervalMs: 100, sessionMs: 3_000 } });
  const server = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0, groups, producerIds: new ProducerIdAllocator(coordination), ...extra });
  const address = `127.0.0.1:${server.port}`;
  const records = recordsClient(address);
  return {
    log,
    groups,
    server,
    address,
    records,
    close: async () => {
      records.close();
      await server.close();
      groups.close();
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

type ReflectionClient = { serverReflectionInfo(): ClientDuplexStream<unknown, { listServicesResponse?: { service: { name: string }[] } }>; close(): void };

/** The services a server lists through reflection v1. */
export async function listServices(address: string): Promise<string[]> {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@grpc/reflection/package.json').replace(/package\.json$/, '');
  const def = loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [`${dir}build/proto`, `${dir}proto`] });
  const pkg = loadPackageDefinition(def) as unknown as { grpc: { reflection: { v1: { ServerReflection: new (a: string, c: unknown) => ReflectionClient } } } };
  const client = new pkg.grpc.reflection.v1.ServerReflection(address, credentials.createInsecure());
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const s = client.serverReflectionInfo();
      s.on('data', (m) => {
        resolve((m.listServicesResponse?.service ?? []).map((x: { name: string }) => x.name));
        s.end();
      });
      s.on('error', reject);
      s.write({ listServices: '' });
    });
  } finally {
    client.close();
  }
}

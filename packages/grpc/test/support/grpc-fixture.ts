// A FloeLog on the embedded default (files + embedded coordination table) in a temp directory,
// the gRPC server on it (port 0) and grpc-js clients for the Records and Health services.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { FloeLog } from '@floe/log';
import { FsObjectStore } from '@floe/object-store';
import { recordsClient, type RecordsClient } from '../../src/client.ts';
import { floe, startGrpcServer, type GrpcServerOptions, type RunningGrpcServer } from '../../src/index.ts';

export { healthClient, recordsClient, type HealthClient, type RecordsClient } from '../../src/client.ts';
export { callUnary as call } from '../../src/client.ts';

export interface GrpcFixture {
  log: FloeLog;
  server: RunningGrpcServer;
  address: string;
  records: RecordsClient;
  close(): Promise<void>;
}

export async function startFixture(options: Pick<GrpcServerOptions, 'logger' | 'slowCallMs'> = {}): Promise<GrpcFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-grpc-'));
  const objects = await FsObjectStore.open(join(dir, 'objects'));
  const coordination = await EmbeddedCoordinationStore.open(join(dir, 'metadata'));
  const log = await FloeLog.open({ objects, coordination, node: 'test', lingerMs: 2, pollIntervalMs: 20 });
  const server = await startGrpcServer({ log, topics: log.topics, host: '127.0.0.1', port: 0, ...options });
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

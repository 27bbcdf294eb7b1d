// The gRPC server's call events and message bytes, as the metrics see them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GrpcCallEvent } from '../../src/index.ts';
import { call, collectTail, healthClient, startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

describe('gRPC call observer', () => {
  let f: GrpcFixture;
  const calls: GrpcCallEvent[] = [];
  const bytes: { method: string; direction: string; bytes: number }[] = [];
  beforeAll(async () => {
    f = await startFixture({ observer: { onCall: (e) => calls.push(e), onBytes: (method, direction, n) => bytes.push({ method, direction, bytes: n }) } });
    await f.log.topics.create('obs', 1, {});
  });
  afterAll(async () => {
    await f.close();
  });
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('reports unary calls with their status and bytes each way', async () => {
    await call(f.records.produce, f.records, { topic: 'obs', partition: 0, records: [{ value: Buffer.from('x'.repeat(100)) }] });
    await call(f.records.produce, f.records, { topic: 'bad/name', records: [{ value: Buffer.from('x') }] }).catch(() => undefined);
    await settle();
    const produce = calls.filter((c) => c.method === 'floe.v1.Records/Produce');
    expect(produce.map((c) => c.code)).toEqual(['OK', 'INVALID_ARGUMENT']);
    expect(produce[0]).toMatchObject({ messagesIn: 1, messagesOut: 1 });
    expect(produce[0]!.durationMs).toBeGreaterThan(0);
    const inBytes = bytes.filter((b) => b.method === 'floe.v1.Records/Produce' && b.direction === 'in');
    expect(inBytes).toHaveLength(2);
    expect(inBytes[0]!.bytes).toBeGreaterThan(100);
    expect(bytes.filter((b) => b.method === 'floe.v1.Records/Produce' && b.direction === 'out')).toHaveLength(1);
  });

  it('reports a cancelled stream once, with its messages, and health checks', async () => {
    const got = await collectTail(f.records.tail({ topic: 'obs', partition: 0, position: 1 }), 1, 5_000);
    expect(got).toHaveLength(1);
    const health = healthClient(f.address);
    await call(health.check, health, { service: '' });
    health.close();
    await settle();
    const tail = calls.filter((c) => c.method === 'floe.v1.Records/Tail');
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatchObject({ code: 'CANCELLED', messagesIn: 1, messagesOut: 1 });
    expect(calls.filter((c) => c.method === 'grpc.health.v1.Health/Check').map((c) => c.code)).toEqual(['OK']);
  });
});

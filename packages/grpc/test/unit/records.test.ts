// The gRPC door on a FloeLog over the embedded default, through a real grpc-js client.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status, type ServiceError } from '@grpc/grpc-js';
import { decodeBatch } from '@floe/protocol';
import { floe, partitionForKey } from '../../src/index.ts';
import { call, collectTail, healthClient, listServices, startFixture, type GrpcFixture } from '../support/grpc-fixture.ts';

const b = (s: string) => Buffer.from(s);
const SP = floe.v1.StartPosition;

describe('gRPC Records service', () => {
  let f: GrpcFixture;
  const produce = (req: floe.v1.IProduceRequest) => call(f.records.produce, f.records, req);
  const fetch = (req: floe.v1.IFetchRequest) => call(f.records.fetch, f.records, req);
  const topicId = async (name: string) => (await f.log.topics.get(name))!.id;
  const hw = async (name: string, partition = 0) => (await f.log.offsets({ topicId: await topicId(name), partition })).highWatermark;

  beforeAll(async () => {
    f = await startFixture();
    await f.log.topics.create('t1', 1, {});
    await f.log.topics.create('t3', 3, {});
    await f.log.topics.create('small', 1, { 'max.message.bytes': '2000' });
    await f.log.topics.create('tail', 1, {});
  });
  afterAll(async () => {
    await f.close();
  });

  it('produces and fetches keys, values (null key, empty value), headers and timestamps', async () => {
    const res = await produce({
      topic: 't1',
      partition: 0,
      records: [
        { key: b('k1'), value: b('v1'), headers: [{ key: 'h', value: b('x') }, { key: 'n' }], timestampMs: 1_700_000_000_000 },
        { value: new Uint8Array(0), timestampMs: 1_700_000_000_001 },
        { key: b(''), headers: [] },
      ],
    });
    expect(res.partitions).toHaveLength(1);
    expect(res.partitions[0]).toMatchObject({ partition: 0, baseOffset: 0, recordCount: 3, logStartOffset: 0, logAppendTimeMs: -1 });
    const before = Date.now();
    const res2 = await produce({ topic: 't1', partition: 0, records: [{ key: b('k4'), value: b('v4') }] });
    expect(res2.partitions[0]!.baseOffset).toBe(3);

    const got = await fetch({ topic: 't1', partition: 0, offset: 0 });
    expect(got.highWatermark).toBe(4);
    expect(got.logStartOffset).toBe(0);
    expect(got.nextOffset).toBe(4);
    expect(got.records.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    const [r0, r1, r2, r3] = got.records;
    expect(Buffer.from(r0!.key!)).toEqual(b('k1'));
    expect(Buffer.from(r0!.value!)).toEqual(b('v1'));
    expect(r0!.timestampMs).toBe(1_700_000_000_000);
    expect((r0!.headers ?? []).map((h) => [h.key, h.value === null ? null : Buffer.from(h.value!).toString()])).toEqual([['h', 'x'], ['n', null]]);
    expect(r1!.key).toBeNull();
    expect(Buffer.from(r1!.value!)).toEqual(Buffer.alloc(0));
    expect(r1!.timestampMs).toBe(1_700_000_000_001);
    expect(Buffer.from(r2!.key!)).toEqual(Buffer.alloc(0));
    expect(r2!.value).toBeNull();
    expect(Math.abs((r3!.timestampMs as number) - before)).toBeLessThan(10_000);

    // From the middle of a batch: only records at or after the offset.
    const mid = await fetch({ topic: 't1', partition: 0, offset: 1 });
    expect(mid.records.map((r) => r.offset)).toEqual([1, 2, 3]);
    // At the high watermark: nothing, no error.
    const end = await fetch({ topic: 't1', partition: 0, offset: 4 });
    expect(end.records).toEqual([]);
    expect(end.nextOffset).toBe(4);

    // Stored as an ordinary Kafka batch: magic 2, uncompressed, no producer id.
    const read = await f.log.read({ topicId: await topicId('t1'), partition: 0 }, 0, 1 << 20);
    const batch = decodeBatch(read.batches[0]!.bytes);
    expect(batch.header.magic).toBe(2);
    expect(batch.header.compression).toBe(0);
    expect(batch.header.producerId).toBe(-1n);
    expect(batch.records).toHaveLength(3);
  });

  it('partitions by murmur2 of the key like Kafka, and null keys of a request together', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const res = await produce({ topic: 't3', records: keys.map((k) => ({ key: b(k), value: b(k) })) });
    for (const k of keys) {
      const p = partitionForKey(b(k), 3);
      const got = await fetch({ topic: 't3', partition: p, offset: 0 });
      expect(got.records.some((r) => Buffer.from(r.key!).toString() === k)).toBe(true);
    }
    expect(res.partitions.reduce((n, p) => n + (p.recordCount ?? 0), 0)).toBe(6);
    const nulls = await produce({ topic: 't3', records: [{ value: b('1') }, { value: b('2') }] });
    expect(nulls.partitions).toHaveLength(1);
    expect(nulls.partitions[0]!.recordCount).toBe(2);
  });

  it('ProduceStream answers one ack per request, in order', async () => {
    await f.log.topics.create('stream', 1, {});
    const stream = f.records.produceStream();
    const acks: floe.v1.ProduceResponse[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (a: floe.v1.ProduceResponse) => acks.push(a));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 20; i++) stream.write({ topic: 'stream', partition: 0, records: [{ value: b(`a${i}`) }, { value: b(`b${i}`) }] });
    stream.end();
    await done;
    expect(acks.map((a) => a.partitions[0]!.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    const got = await fetch({ topic: 'stream', partition: 0, offset: 0 });
    expect(got.records.map((r) => Buffer.from(r.value!).toString()).slice(0, 4)).toEqual(['a0', 'b0', 'a1', 'b1']);
  });

  it('ProduceStream ends with the status of the first refused request', async () => {
    const stream = f.records.produceStream();
    const acks: floe.v1.ProduceResponse[] = [];
    const err = new Promise<ServiceError>((resolve) => {
      stream.on('data', (a: floe.v1.ProduceResponse) => acks.push(a));
      stream.on('error', resolve);
    });
    stream.write({ topic: 'stream', partition: 0, records: [{ value: b('ok') }] });
    stream.write({ topic: 'nope', partition: 0, records: [{ value: b('x') }] });
    stream.write({ topic: 'stream', partition: 0, records: [{ value: b('after') }] });
    stream.end();
    const e = await err;
    expect(e.code).toBe(status.NOT_FOUND);
    expect(acks).toHaveLength(1);
    const got = await fetch({ topic: 'stream', partition: 0, offset: 40 });
    expect(got.records.map((r) => Buffer.from(r.value!).toString())).toEqual(['ok']);
  });

  describe('bad input gets its status code and writes nothing', () => {
    const cases: [string, floe.v1.IProduceRequest, status][] = [
      ['invalid topic name', { topic: 'bad/name', partition: 0, records: [{ value: b('x') }] }, status.INVALID_ARGUMENT],
      ['empty topic name', { topic: '', records: [{ value: b('x') }] }, status.INVALID_ARGUMENT],
      ['unknown topic', { topic: 'missing', partition: 0, records: [{ value: b('x') }] }, status.NOT_FOUND],
      ['unknown partition', { topic: 'small', partition: 5, records: [{ value: b('x') }] }, status.NOT_FOUND],
      ['negative partition', { topic: 'small', partition: -1, records: [{ value: b('x') }] }, status.INVALID_ARGUMENT],
      ['no records', { topic: 'small', partition: 0, records: [] }, status.INVALID_ARGUMENT],
      ['negative timestamp', { topic: 'small', partition: 0, records: [{ value: b('x'), timestampMs: -5 }] }, status.INVALID_ARGUMENT],
      ['record over max.message.bytes', { topic: 'small', partition: 0, records: [{ value: Buffer.alloc(3000) }] }, status.INVALID_ARGUMENT],
      ['valid record beside an oversized one', { topic: 'small', partition: 0, records: [{ value: b('ok') }, { value: Buffer.alloc(3000) }] }, status.INVALID_ARGUMENT],
    ];
    it.each(cases)('%s', async (_name, req, code) => {
      const before = await hw('small');
      await expect(produce(req)).rejects.toMatchObject({ code });
      expect(await hw('small')).toBe(before);
    });

    it('unknown fields', async () => {
      // Field 99 (varint) appended to a valid request.
      const bytes = Buffer.concat([Buffer.from(floe.v1.ProduceRequest.encode({ topic: 'small', partition: 0, records: [{ value: b('x') }] }).finish()), Buffer.from([0x98, 0x06, 0x01])]);
      const raw = await new Promise<ServiceError | null>((resolve) => {
        f.records.makeUnaryRequest('/floe.v1.Records/Produce', (x: Buffer) => x, (x: Buffer) => x, bytes, (err) => resolve(err));
      });
      expect(raw?.code).toBe(status.INVALID_ARGUMENT);
      expect(raw?.details).toMatch(/unknown fields/);
      expect(await hw('small')).toBe(0);
    });

    it('a request over the receive limit', async () => {
      await expect(produce({ topic: 'small', partition: 0, records: [{ value: Buffer.alloc(9 * 1024 * 1024) }] })).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
      expect(await hw('small')).toBe(0);
    });

    it('fetch: negative offset, out of range, unknown topic and partition', async () => {
      await expect(fetch({ topic: 't1', partition: 0, offset: -1 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      await expect(fetch({ topic: 't1', partition: 0, offset: 1000 })).rejects.toMatchObject({ code: status.OUT_OF_RANGE });
      await expect(fetch({ topic: 'missing', partition: 0, offset: 0 })).rejects.toMatchObject({ code: status.NOT_FOUND });
      await expect(fetch({ topic: 't1', partition: 1, offset: 0 })).rejects.toMatchObject({ code: status.NOT_FOUND });
      await expect(fetch({ topic: 'x y', partition: 0, offset: 0 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    });

    it('tail: no start, out of range', async () => {
      const noStart = collectTail(f.records.tail({ topic: 'tail', partition: 0 }), 1, 5_000);
      await expect(noStart).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
      const far = collectTail(f.records.tail({ topic: 'tail', partition: 0, offset: 1000 }), 1, 5_000);
      await expect(far).rejects.toMatchObject({ code: status.OUT_OF_RANGE });
    });
  });

  it('tail from earliest, latest and a timestamp receives records produced after it started', async () => {
    const old = await produce({ topic: 'tail', partition: 0, records: [{ value: b('old'), timestampMs: 1_000 }] });
    expect(old.partitions[0]!.baseOffset).toBe(0);
    const earliest = collectTail(f.records.tail({ topic: 'tail', partition: 0, position: SP.START_POSITION_EARLIEST }), 3, 15_000);
    const latest = collectTail(f.records.tail({ topic: 'tail', partition: 0, position: SP.START_POSITION_LATEST }), 2, 15_000);
    const byTime = collectTail(f.records.tail({ topic: 'tail', partition: 0, timestampMs: 5_000 }), 2, 15_000);
    const fromOffset = collectTail(f.records.tail({ topic: 'tail', partition: 0, offset: 1 }), 2, 15_000);
    await new Promise((r) => setTimeout(r, 300)); // let the tails reach the end of the log
    await produce({ topic: 'tail', partition: 0, records: [{ value: b('new1'), timestampMs: 10_000 }] });
    await produce({ topic: 'tail', partition: 0, records: [{ value: b('new2'), timestampMs: 11_000 }] });
    const values = (rs: floe.v1.IFetchedRecord[]) => rs.map((r) => `${r.offset}:${Buffer.from(r.value!).toString()}`);
    expect(values(await earliest)).toEqual(['0:old', '1:new1', '2:new2']);
    expect(values(await latest)).toEqual(['1:new1', '2:new2']);
    expect(values(await byTime)).toEqual(['1:new1', '2:new2']);
    expect(values(await fromOffset)).toEqual(['1:new1', '2:new2']);
    // A timestamp inside the log starts at the first record at or after it.
    const t = await collectTail(f.records.tail({ topic: 'tail', partition: 0, timestampMs: 10_500 }), 1, 10_000);
    expect(values(t)).toEqual(['2:new2']);
  });

  it('health Check answers SERVING; unknown services NOT_FOUND', async () => {
    const h = healthClient(f.address);
    try {
      const res = await call(h.check, h, { service: '' });
      expect(res.status).toBe(1);
      expect((await call(h.check, h, { service: 'floe.v1.Records' })).status).toBe(1);
      await expect(call(h.check, h, { service: 'nope' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    } finally {
      h.close();
    }
  });

  it('server reflection lists the services', async () => {
    expect(await listServices(f.address)).toEqual(expect.arrayContaining(['floe.v1.Records', 'grpc.health.v1.Health']));
  });

  it('idempotent produce: a retried request answers its first offsets and writes nothing; gaps and old epochs are refused', async () => {
    await f.log.topics.create('idem', 2, {});
    const { producerId, producerEpoch } = await call(f.records.initProducer, f.records, {});
    expect(Number(producerId)).toBeGreaterThanOrEqual(0);
    const other = await call(f.records.initProducer, f.records, {});
    expect(Number(other.producerId)).not.toBe(Number(producerId));
    const req = (baseSequence: number, n: number, partition = 0, epoch = producerEpoch) => ({
      topic: 'idem',
      partition,
      records: Array.from({ length: n }, (_, i) => ({ value: b(`s${baseSequence + i}`) })),
      idempotence: { producerId, producerEpoch: epoch, baseSequence },
    });
    const first = await produce(req(0, 3));
    expect(first.partitions[0]).toMatchObject({ baseOffset: 0, recordCount: 3 });
    const retry = await produce(req(0, 3));
    expect(retry.partitions[0]).toMatchObject({ baseOffset: 0, recordCount: 3 });
    expect((await produce(req(3, 2))).partitions[0]).toMatchObject({ baseOffset: 3 });
    expect(await hw('idem')).toBe(5);
    // Sequences are per partition.
    expect((await produce(req(0, 1, 1))).partitions[0]).toMatchObject({ baseOffset: 0 });
    const refused = async (r: floe.v1.IProduceRequest) => (await produce(r).then(() => null, (e: ServiceError) => e))!;
    expect(await refused(req(9, 1))).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(await refused({ ...req(5, 1), partition: undefined })).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('partition') });
    expect(await refused({ ...req(5, 1), idempotence: { producerId: -4, producerEpoch: 0, baseSequence: 5 } })).toMatchObject({ code: status.INVALID_ARGUMENT });
    // A new epoch fences the old one.
    expect((await produce(req(0, 1, 0, producerEpoch + 1))).partitions[0]).toMatchObject({ baseOffset: 5 });
    expect(await refused(req(5, 1))).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect(await hw('idem')).toBe(6);
    const stored = (await fetch({ topic: 'idem', partition: 0, offset: 0 })).records.map((r) => Buffer.from(r.value!).toString());
    expect(stored).toEqual(['s0', 's1', 's2', 's3', 's4', 's0']);
  });
});

// Hostile input at a node's Kafka port (`floe start` on MinIO + DynamoDB Local): random and
// mutated frames of every API from many connections, huge declared sizes and array lengths,
// batches with wrong CRCs, compression bombs, unsupported versions, thousands of idle connections
// and slow senders. Throughout, the node stays up, its memory stays bounded, a well-behaved client
// (kcat) keeps producing and consuming, nothing invalid is written, and the node logs no error
// (a malformed request is a warning; an error line would mean the node mishandled one).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import {
  ApiKey,
  buildBatch,
  decodeResponse,
  defaultApiVersionsRequest,
  defaultProduceRequest,
  encodeRequest,
  ErrorCode,
  FrameSplitter,
  type ProduceResponse,
} from '@floe/protocol';
import { loadTestEnv, runTool } from '@floe/testkit';
import { startNodeProcess, type NodeProcess } from '../support/node-process.ts';
import { fuzzPort } from '../support/wire-fuzzer.ts';

const env = loadTestEnv();
const PORT = 19331;
const HTTP = 19332;
/** Frames of the fuzz in CI (a longer run: `FLOE_FUZZ_FRAMES=1000000`). */
const FRAMES = Number(process.env.FLOE_FUZZ_FRAMES ?? 200_000);
/** Time the fuzz may take: generous for the machine's speed, still bounded. */
const FUZZ_MS = Math.max(240_000, FRAMES * 2);
const bootstrap = `127.0.0.1:${PORT}`;

/** The node's resident set in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** A raw connection: frames out, decoded frames in. */
class Raw {
  readonly socket: Socket;
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly splitter = new FrameSplitter({ maxFrameSize: 64 << 20 });
  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => this.frames.push(...this.splitter.push(d)));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }
  static open(): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: PORT }, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  async until(cond: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

function produceFrame(topic: string, batch: Buffer, correlationId: number): Buffer {
  return encodeRequest(
    { apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: 'hostile' },
    { ...defaultProduceRequest(), acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] },
  );
}

describe('hostile input at the Kafka port', () => {
  let node: NodeProcess;
  let peakRss = 0;
  let sampler: NodeJS.Timeout;
  const figures: string[] = [];
  const kcat = (args: string[], input?: string) => runTool(env.kcat, ['-b', bootstrap, ...args], { timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  const highWatermark = async (topic: string) => {
    const r = (await (await fetch(`http://127.0.0.1:${HTTP}/api/v1/topics/${topic}`)).json()) as { partitionOffsets: { highWatermark: number }[] };
    return r.partitionOffsets[0]!.highWatermark;
  };
  /** The node's log lines at error level or worse (its level is `error`: nothing else is written). */
  const errorLines = () => node.stdout().split('\n').filter((l) => /"level":"(error|fatal)"/.test(l));

  beforeAll(async () => {
    node = startNodeProcess(PORT, `floe-hostile-${Date.now().toString(36)}`, {
      FLOE_HTTP_LISTEN: `127.0.0.1:${HTTP}`,
      FLOE_LOG_LEVEL: 'error',
      FLOE_AUTO_CREATE_TOPICS: 'false',
    });
    // Its level is `error`, so no start-up line says it is ready: ask /readyz.
    const until = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${HTTP}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > until || node.child.exitCode !== null) throw new Error(`the node did not get ready: ${node.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(node.child.pid!))), 250);
    const created = await fetch(`http://127.0.0.1:${HTTP}/api/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'good', partitions: 1 }),
    });
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    clearInterval(sampler);
    node?.child.kill('SIGKILL');
    console.log(`input hardening figures:\n  ${figures.join('\n  ')}`);
  });

  it(`${FRAMES.toLocaleString('en')} random and mutated frames from 32 connections while kcat produces and consumes`, async () => {
    const before = rssMiB(node.child.pid!);
    const fuzz = fuzzPort({ host: '127.0.0.1', port: PORT, frames: FRAMES, connections: 32, seed: 20261122, deadlineMs: FUZZ_MS });
    // The well-behaved client, during the fuzz: 10 rounds of 200 records, each timed.
    const rounds: number[] = [];
    let sent = 0;
    for (let round = 0; round < 10; round++) {
      const t0 = Date.now();
      const lines = Array.from({ length: 200 }, (_, i) => `good-${round}-${i}`).join('\n') + '\n';
      const p = await kcat(['-P', '-t', 'good', '-p', '0', '-X', 'acks=all'], lines);
      expect(p.code).toBe(0);
      sent += 200;
      rounds.push(Date.now() - t0);
    }
    const r = await fuzz;
    expect(node.child.exitCode).toBeNull();
    expect(r.frames).toBe(FRAMES);
    // The node read them: most were answered or closed their connection.
    expect(r.answered + r.closedByNode).toBeGreaterThan(FRAMES * 0.8);

    const read = await kcat(['-C', '-t', 'good', '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true']);
    expect(read.code).toBe(0);
    const values = read.stdout.trim().split('\n');
    expect(values).toHaveLength(sent);
    expect(new Set(values).size).toBe(sent);

    // Whatever the fuzz created is readable and checksummed: nothing invalid was stored.
    const topics = (await (await fetch(`http://127.0.0.1:${HTTP}/api/v1/topics`)).json()) as { name: string; partitions: number }[];
    for (const t of topics) {
      for (let p = 0; p < t.partitions; p++) {
        const c = await kcat(['-C', '-t', t.name, '-p', String(p), '-o', 'beginning', '-e', '-q', '-X', 'check.crcs=true', '-f', '%o\\n']);
        expect({ topic: t.name, code: c.code, stderr: c.stderr.includes('CRC') ? c.stderr : '' }).toEqual({ topic: t.name, code: 0, stderr: '' });
      }
    }
    expect(errorLines()).toEqual([]);
    figures.push(
      `fuzz: ${r.frames} frames in ${r.seconds.toFixed(0)} s (${Math.round(r.frames / r.seconds)}/s) over ${r.connections} connections; ` +
        `answered ${r.answered}, connection closed by the node ${r.closedByNode}, silent ${r.silent}; ` +
        `topics afterwards ${topics.length}; node RSS ${before.toFixed(0)} MiB before, peak ${peakRss.toFixed(0)} MiB; ` +
        `kcat rounds of 200 records: median ${rounds.sort((a, b) => a - b)[5]} ms, max ${rounds.at(-1)} ms`,
    );
    expect(peakRss).toBeLessThan(1024);
  }, FUZZ_MS + 60_000);

  it('huge declared sizes and array lengths close the connection at once, without allocating', async () => {
    const before = rssMiB(node.child.pid!);
    const conns = await Promise.all(Array.from({ length: 50 }, () => Raw.open()));
    for (const [i, c] of conns.entries()) {
      if (i % 2 === 0) {
        const f = Buffer.alloc(8);
        f.writeInt32BE(0x7fffffff, 0); // a 2 GiB request
        c.socket.write(f);
      } else {
        // A Produce v9 header, then a topic array claiming 2^31-1 entries.
        const head = encodeRequest({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 7, clientId: 'x' }, { ...defaultProduceRequest(), topicData: [] });
        const body = Buffer.concat([head.subarray(4, head.length - 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]), Buffer.alloc(16)]);
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length, 0);
        c.socket.write(Buffer.concat([size, body]));
      }
    }
    await Promise.all(conns.map((c) => c.until(() => c.closed, 5_000, 'the close')));
    expect(conns.every((c) => c.frames.length === 0)).toBe(true);
    expect(rssMiB(node.child.pid!) - before).toBeLessThan(64);
    expect(errorLines()).toEqual([]);
  });

  it('a batch with a wrong CRC gets CORRUPT_MESSAGE and writes nothing', async () => {
    const hw = await highWatermark('good');
    const batch = buildBatch({ records: [{ key: null, value: Buffer.from('tampered') }] });
    batch.writeUInt8(batch.readUInt8(batch.length - 1) ^ 0xff, batch.length - 1); // a byte covered by the CRC
    const c = await Raw.open();
    c.socket.write(produceFrame('good', batch, 11));
    await c.until(() => c.frames.length === 1, 10_000, 'the answer');
    const res = decodeResponse(ApiKey.Produce, 9, c.frames[0]!).body as ProduceResponse;
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await highWatermark('good')).toBe(hw);
    c.socket.destroy();
  });

  it('compression bombs from 4 connections at once are refused with memory bounded, nothing written', async () => {
    const hw = await highWatermark('good');
    // 256 MiB of zeros in one record, gzip (codec 1): about 256 KiB on the wire.
    const batch = buildBatch({ compression: 1, records: [{ key: null, value: Buffer.alloc(256 << 20) }] });
    const before = rssMiB(node.child.pid!);
    const conns = await Promise.all(Array.from({ length: 4 }, () => Raw.open()));
    conns.forEach((c, i) => c.socket.write(produceFrame('good', batch, 100 + i)));
    await Promise.all(conns.map((c) => c.until(() => c.frames.length === 1 || c.closed, 30_000, 'the answer')));
    for (const c of conns) {
      if (c.frames.length === 1) {
        const res = decodeResponse(ApiKey.Produce, 9, c.frames[0]!).body as ProduceResponse;
        expect(res.responses[0]!.partitionResponses[0]!.errorCode).not.toBe(ErrorCode.NONE);
      }
      c.socket.destroy();
    }
    expect(await highWatermark('good')).toBe(hw);
    figures.push(`compression bombs: ${batch.length} bytes on the wire for 256 MiB each, 4 at once: node RSS ${before.toFixed(0)} MiB before, peak ${peakRss.toFixed(0)} MiB`);
    expect(peakRss - before).toBeLessThan(512);
    expect(errorLines()).toEqual([]);
  }, 60_000);

  it('unsupported versions: ApiVersions answers v0 with UNSUPPORTED_VERSION, others close', async () => {
    const a = await Raw.open();
    a.socket.write(encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'x' }, { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' }).fill(0x63, 6, 8));
    await a.until(() => a.frames.length === 1, 5_000, 'the answer');
    expect(decodeResponse(ApiKey.ApiVersions, 0, a.frames[0]!).body).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION });
    const p = await Raw.open();
    const frame = produceFrame('good', buildBatch({ records: [{ key: null, value: Buffer.from('v') }] }), 3);
    frame.writeInt16BE(99, 6);
    p.socket.write(frame);
    await p.until(() => p.closed, 5_000, 'the close');
    expect(p.frames).toHaveLength(0);
  });

  it('2,000 idle connections and 200 slow senders: kcat still produces and consumes promptly', async () => {
    const idle: Raw[] = [];
    for (let i = 0; i < 2_000; i += 200) idle.push(...(await Promise.all(Array.from({ length: 200 }, () => Raw.open()))));
    // Slow senders: a valid ApiVersions frame, one byte every 100 ms.
    const frame = encodeRequest({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 1, clientId: 'slow' }, { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    const slow = await Promise.all(Array.from({ length: 200 }, () => Raw.open()));
    let at = 0;
    const drip = setInterval(() => {
      if (at < frame.length) for (const s of slow) s.socket.write(frame.subarray(at, at + 1));
      at++;
    }, 100);
    try {
      const t0 = Date.now();
      const p = await kcat(['-P', '-t', 'good', '-p', '0'], 'while-crowded\n');
      expect(p.code).toBe(0);
      const c = await kcat(['-C', '-t', 'good', '-p', '0', '-o', '-1', '-e', '-q']);
      expect(c.stdout.trim()).toBe('while-crowded');
      const ms = Date.now() - t0;
      expect(ms).toBeLessThan(10_000);
      // The slow senders' requests are answered once complete.
      await Promise.all(slow.map((s) => s.until(() => s.frames.length === 1, frame.length * 100 + 10_000, 'the slow answer')));
      figures.push(`2000 idle + 200 slow connections: kcat produce and consume of one record ${ms} ms; node RSS peak ${peakRss.toFixed(0)} MiB`);
    } finally {
      clearInterval(drip);
      for (const c of [...idle, ...slow]) c.socket.destroy();
    }
    expect(node.child.exitCode).toBeNull();
    expect(errorLines()).toEqual([]);
  }, 120_000);
});

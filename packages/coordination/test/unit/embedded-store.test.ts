// The embedded store: the conformance suite on a temporary directory, then what only it has —
// persistence across reopen, snapshots, recovery from a crash mid-write (a real kill -9 of a
// writing process), refusal of corruption, and the directory lock.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdtemp, readFile, readdir, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationError, EmbeddedCoordinationStore, type Item } from '../../src/index.ts';
import { coordinationConformance, sizedItem } from '../conformance.ts';
import { DURABILITY_PK, valueFor } from './support/values.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'support', 'embedded-child.ts');

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-coordination-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

coordinationConformance('embedded', async () => EmbeddedCoordinationStore.open(await tempDir()), {
  atomicConditions: true,
});

async function logFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('log-')).sort();
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CoordinationError);
    return (err as CoordinationError).kind;
  }
  return 'ok';
}

interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<void>;
  /** Resolves when a line equal to `line` has been printed. */
  waitFor(line: string): Promise<void>;
}

function runChild(args: string[]): Child {
  const proc = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of listeners) l();
  });
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    proc,
    lines,
    exited,
    waitFor: (line) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (lines.includes(line)) resolve();
        };
        listeners.push(check);
        check();
        void exited.then(() => reject(new Error(`child exited before printing ${line}: ${stderr}`)));
      }),
  };
}

async function killHard(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited; // reaped: its pid is gone
}

describe('EmbeddedCoordinationStore', () => {
  it('keeps everything across close and reopen', async () => {
    const dir = await tempDir();
    let store = await EmbeddedCoordinationStore.open(dir);
    await store.put({ pk: 'p', sk: 'a', v: 1, bin: new Uint8Array([1, 2]) });
    await store.put({ pk: 'p', sk: 'b', v: 2 });
    await store.transact([{ put: { pk: 'q', sk: 'x', t: true } }, { delete: { pk: 'p', sk: 'b' } }]);
    await store.put({ pk: 'p', sk: 'a', v: 3, bin: new Uint8Array([3]) }, { exists: true });
    await store.close();
    store = await EmbeddedCoordinationStore.open(dir);
    expect(await store.query('p')).toEqual([{ pk: 'p', sk: 'a', v: 3, bin: new Uint8Array([3]) }]);
    expect(await store.get('q', 'x')).toEqual({ pk: 'q', sk: 'x', t: true });
    await store.close();
  });

  it('refuses calls after close', async () => {
    const store = await EmbeddedCoordinationStore.open(await tempDir());
    await store.close();
    expect(await kindOf(store.get('p', 's'))).toBe('invalid');
    expect(await kindOf(store.put({ pk: 'p', sk: 's' }))).toBe('invalid');
    await store.close(); // twice is fine
  });

  it('writes snapshots, starts new logs and drops the old ones, and reopens from them', async () => {
    const dir = await tempDir();
    let store = await EmbeddedCoordinationStore.open(dir, { snapshotBytes: 64 * 1024 });
    const expected = new Map<string, Item>();
    for (let i = 0; i < 400; i++) {
      const item = sizedItem('snap', `k${String(i % 150).padStart(4, '0')}`, 500 + (i % 7) * 100, { round: String(i) });
      expected.set(item.sk, item);
      await store.put(item);
      if (i % 3 === 0) {
        await store.delete('snap', `k${String((i * 7) % 150).padStart(4, '0')}`);
        expected.delete(`k${String((i * 7) % 150).padStart(4, '0')}`);
      }
    }
    await store.close();
    const files = await readdir(dir);
    expect(files).toContain('snapshot');
    expect(files).not.toContain('snapshot.tmp');
    const logs = await logFiles(dir);
    expect(logs.length).toBe(1);
    expect(Number(logs[0]!.slice(4))).toBeGreaterThan(1);
    store = await EmbeddedCoordinationStore.open(dir);
    const items = await store.query('snap');
    expect(items.map((i) => i.sk)).toEqual([...expected.keys()].sort());
    for (const item of items) expect(item).toEqual(expected.get(item.sk));
    await store.close();
  });

  it('leaves expired items (number `ttl` in the past) out of snapshots', async () => {
    const dir = await tempDir();
    let store = await EmbeddedCoordinationStore.open(dir, { snapshotBytes: 16 * 1024 });
    const now = Math.floor(Date.now() / 1000);
    await store.put({ pk: 't', sk: 'expired', ttl: now - 10 });
    await store.put({ pk: 't', sk: 'live', ttl: now + 3600 });
    await store.put({ pk: 't', sk: 'text-ttl', ttl: 'not a number' });
    // Until a snapshot, expired items are still there (DynamoDB also deletes them lazily).
    expect((await store.query('t')).map((i) => i.sk)).toEqual(['expired', 'live', 'text-ttl']);
    for (let i = 0; i < 40; i++) await store.put(sizedItem('filler', `f${i}`, 1000));
    await store.close();
    store = await EmbeddedCoordinationStore.open(dir);
    expect((await store.query('t')).map((i) => i.sk)).toEqual(['live', 'text-ttl']);
    await store.close();
  });

  it('groups concurrent writes into few fsyncs and acknowledges all of them', async () => {
    const dir = await tempDir();
    const store = await EmbeddedCoordinationStore.open(dir);
    const logPath = join(dir, (await logFiles(dir))[0]!);
    const before = (await stat(logPath)).size;
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.put({ pk: 'g', sk: `k${i}` })));
    const after = await readFile(logPath);
    // 500 records in far fewer frames: count frames by walking their headers.
    let frames = 0;
    for (let pos = before; pos < after.length; pos += 12 + after.readUInt32LE(pos)) frames++;
    expect(frames).toBeLessThan(50);
    expect(await store.query('g')).toHaveLength(500);
    await store.close();
  });

  describe('recovery', () => {
    async function writeSome(dir: string, count: number): Promise<string> {
      const store = await EmbeddedCoordinationStore.open(dir);
      // One at a time: one frame per item.
      for (let i = 0; i < count; i++) await store.put({ pk: 'r', sk: `k${i}`, v: 'x'.repeat(100) });
      await store.close();
      const logs = await logFiles(dir);
      return join(dir, logs[logs.length - 1]!);
    }
    async function sks(dir: string): Promise<string[]> {
      const store = await EmbeddedCoordinationStore.open(dir);
      try {
        return (await store.query('r')).map((i) => i.sk).sort();
      } finally {
        await store.close();
      }
    }
    const all = (n: number) => Array.from({ length: n }, (_, i) => `k${i}`).sort();

    it('cuts away a torn last frame and keeps working', async () => {
      const dir = await tempDir();
      const log = await writeSome(dir, 10);
      const size = (await stat(log)).size;
      await truncate(log, size - 7);
      const warnings: string[] = [];
      let store = await EmbeddedCoordinationStore.open(dir, { onWarning: (m) => warnings.push(m) });
      expect(warnings.join()).toMatch(/cut/);
      expect((await store.query('r')).map((i) => i.sk).sort()).toEqual(all(9));
      await store.put({ pk: 'r', sk: 'k9', v: 'again' });
      await store.close();
      store = await EmbeddedCoordinationStore.open(dir);
      expect(await store.get('r', 'k9')).toEqual({ pk: 'r', sk: 'k9', v: 'again' });
      await store.close();
    });

    it('cuts away a partial frame header, zeros and garbage at the end', async () => {
      for (const tail of [Buffer.from([7, 0, 0]), Buffer.alloc(300), Buffer.from('garbage that is not a frame at all')]) {
        const dir = await tempDir();
        const log = await writeSome(dir, 5);
        await appendFile(log, tail);
        expect(await sks(dir)).toEqual(all(5));
        // And the log is whole again afterwards.
        expect(await sks(dir)).toEqual(all(5));
      }
    });

    it('cuts away a last frame whose bytes were never written (its header is, its payload zeros)', async () => {
      const dir = await tempDir();
      const log = await writeSome(dir, 5);
      const buf = await readFile(log);
      // Find the last frame and zero its payload.
      let pos = 20;
      let last = pos;
      while (pos < buf.length) {
        last = pos;
        pos += 12 + buf.readUInt32LE(pos);
      }
      buf.fill(0, last + 12);
      await writeFile(log, buf);
      expect(await sks(dir)).toEqual(all(4));
    });

    it('refuses a log damaged before its last frame', async () => {
      for (const where of ['payload', 'header'] as const) {
        const dir = await tempDir();
        const log = await writeSome(dir, 5);
        const buf = await readFile(log);
        const first = 20; // after the file header
        buf[where === 'payload' ? first + 12 + 10 : first + 1]! ^= 0xff;
        await writeFile(log, buf);
        const err = await EmbeddedCoordinationStore.open(dir).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CoordinationError);
        expect((err as CoordinationError).kind).toBe('invalid');
        expect((err as Error).message).toMatch(/corrupt/);
        // The failed open released the lock: a later open gets as far as the same error.
        expect(await kindOf(EmbeddedCoordinationStore.open(dir))).toBe('invalid');
      }
    });

    it('refuses a damaged snapshot and a missing log', async () => {
      const dir = await tempDir();
      let store = await EmbeddedCoordinationStore.open(dir, { snapshotBytes: 4096 });
      for (let i = 0; i < 60; i++) await store.put(sizedItem('s', `k${i}`, 300));
      await store.close();
      const snapshot = await readFile(join(dir, 'snapshot'));
      snapshot[snapshot.length - 5]! ^= 1;
      await writeFile(join(dir, 'snapshot'), snapshot);
      expect(await kindOf(EmbeddedCoordinationStore.open(dir))).toBe('invalid');

      const dir2 = await tempDir();
      store = await EmbeddedCoordinationStore.open(dir2, { snapshotBytes: 1 << 30 });
      await store.put({ pk: 'a', sk: 'b' });
      await store.close();
      // A gap in the generations: log 2 exists, log 1 is gone.
      const [log1] = await logFiles(dir2);
      await writeFile(join(dir2, 'log-0000000000000002'), await readFile(join(dir2, log1!)));
      await rm(join(dir2, log1!));
      expect(await kindOf(EmbeddedCoordinationStore.open(dir2))).toBe('invalid');
    });

    it('removes a leftover snapshot.tmp and logs a finished snapshot covers', async () => {
      const dir = await tempDir();
      let store = await EmbeddedCoordinationStore.open(dir, { snapshotBytes: 4096 });
      for (let i = 0; i < 60; i++) await store.put(sizedItem('s', `k${i}`, 300));
      await store.close();
      const [current] = await logFiles(dir);
      const generation = Number(current!.slice(4));
      // As if a crash came after the snapshot's rename but before the old logs were removed.
      await writeFile(join(dir, `log-${String(generation - 1).padStart(16, '0')}`), 'left over');
      await writeFile(join(dir, 'snapshot.tmp'), 'half a snapshot');
      store = await EmbeddedCoordinationStore.open(dir);
      expect(await store.query('s')).toHaveLength(60);
      await store.close();
      expect(await logFiles(dir)).toEqual([current]);
      expect(await readdir(dir)).not.toContain('snapshot.tmp');
    });
  });

  describe('lock', () => {
    it('refuses a second open in the same process until the first closes', async () => {
      const dir = await tempDir();
      const first = await EmbeddedCoordinationStore.open(dir);
      const err = await EmbeddedCoordinationStore.open(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CoordinationError);
      expect((err as Error).message).toMatch(/in use by process/);
      await first.close();
      const second = await EmbeddedCoordinationStore.open(dir);
      await second.close();
    });

    it('refuses a directory a live process holds, and takes it over once that process is killed', async () => {
      const dir = await tempDir();
      const child = runChild(['hold', dir]);
      try {
        await child.waitFor('ready');
        const err = await EmbeddedCoordinationStore.open(dir).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CoordinationError);
        expect((err as Error).message).toContain(`in use by process ${child.proc.pid}`);
      } finally {
        await killHard(child);
      }
      const store = await EmbeddedCoordinationStore.open(dir);
      const lock = await readFile(join(dir, 'LOCK'), 'utf8');
      expect(lock.startsWith(`${process.pid} `)).toBe(true);
      await store.close();
      expect(await readdir(dir)).not.toContain('LOCK');
    });

    it('takes over a lock left by a dead process and an empty lock left long ago', async () => {
      const dir = await tempDir();
      const gone = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => gone.on('exit', r));
      await writeFile(join(dir, 'LOCK'), `${gone.pid} - some-token\n`);
      let store = await EmbeddedCoordinationStore.open(dir);
      await store.close();

      await writeFile(join(dir, 'LOCK'), '');
      const old = new Date(Date.now() - 60_000);
      await utimes(join(dir, 'LOCK'), old, old);
      store = await EmbeddedCoordinationStore.open(dir);
      await store.close();
    });
  });

  it(
    'loses no acknowledged write when its process is killed (kill -9) at random moments',
    async () => {
      const dir = await tempDir();
      const acked = new Set<string>();
      const ackedTx = new Set<string>();
      let counter = 0;
      for (let round = 0; round < 5; round++) {
        const child = runChild(['write', dir, `r${round}`, String(32 * 1024)]);
        await child.waitFor('ready');
        // Let it write for a random while (snapshots happen every few hundred writes), then kill.
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 700));
        await killHard(child);
        for (const line of child.lines) {
          const [kind, value] = line.split(' ');
          if (kind === 'put') acked.add(value!);
          else if (kind === 'tx') ackedTx.add(value!);
          else if (kind === 'counter') counter = Math.max(counter, Number(value));
        }
        const store = await EmbeddedCoordinationStore.open(dir);
        try {
          const items = new Map((await store.query(DURABILITY_PK)).map((i) => [i.sk, i]));
          for (const sk of acked) expect(items.get(sk)).toEqual({ pk: DURABILITY_PK, sk, ...valueFor(sk) });
          for (const sk of ackedTx) {
            expect(items.get(`${sk}-a`)).toEqual({ pk: DURABILITY_PK, sk: `${sk}-a`, ...valueFor(`${sk}-a`) });
            expect(items.get(`${sk}-b`)).toEqual({ pk: DURABILITY_PK, sk: `${sk}-b`, ...valueFor(`${sk}-b`) });
          }
          // Transactions are all or nothing, acknowledged or not.
          for (const sk of items.keys()) {
            if (sk.endsWith('-a')) expect(items.has(`${sk.slice(0, -2)}-b`)).toBe(true);
            if (sk.endsWith('-b')) expect(items.has(`${sk.slice(0, -2)}-a`)).toBe(true);
          }
          // Every value that was written is whole.
          for (const item of items.values()) expect(item).toEqual({ pk: DURABILITY_PK, sk: item.sk, ...valueFor(item.sk) });
          const c = await store.get('counter', 'c');
          expect(c === undefined ? 0 : (c.version as number)).toBeGreaterThanOrEqual(counter);
          // Usable: writes and reads work.
          await store.put({ pk: 'after', sk: `round-${round}` }, { absent: true });
          expect(await store.get('after', `round-${round}`)).toEqual({ pk: 'after', sk: `round-${round}` });
        } finally {
          await store.close();
        }
      }
      expect(acked.size + ackedTx.size).toBeGreaterThan(100);
    },
    120_000,
  );
});

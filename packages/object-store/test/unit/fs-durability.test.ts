// kill -9 of a process writing to an FsObjectStore leaves no partial object under a final name:
// every listed object is complete, every create that resolved is there, and temporary files,
// which a kill does leave behind, are never listed.
import { afterAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FsObjectStore } from '../../src/fs-object-store.ts';
import { collect } from '../conformance.ts';

const writerScript = fileURLToPath(new URL('../support/fs-crash-writer.ts', import.meta.url));
const root = await mkdtemp(join(tmpdir(), 'floe-fs-crash-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs the writer until it has reported `creates` resolved creates, then kill -9s it. */
async function writeAndKill(tag: string, creates: number): Promise<string[]> {
  const child = spawn(process.execPath, [writerScript, root, tag], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const done: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') continue;
    done.push(line);
    // Kill at once from inside the output loop, with the four writers mid-write.
    if (done.length === creates) child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
  return done;
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

it('keeps every object whole across kill -9 of its writer', async () => {
  const resolved: string[] = [];
  // Twelve kills, each with three creates in flight; a few of these land inside a write.
  for (let round = 0; round < 12; round++) {
    resolved.push(...(await writeAndKill(`round${round}`, 5 + 5 * round)));
  }

  const store = await FsObjectStore.open(root);
  const listed = await collect(store.list('crash/'));
  for (const { key, size } of listed) {
    expect(key).not.toContain('#');
    const body = await store.get(key);
    expect(body.length).toBe(size);
    expect(size).toBeGreaterThanOrEqual(32);
    const digest = createHash('sha256').update(body.subarray(0, size - 32)).digest();
    expect(digest.equals(body.subarray(size - 32))).toBe(true);
  }
  const keys = new Set(listed.map((o) => o.key));
  for (const key of resolved) expect(keys.has(key)).toBe(true);

  // On disk: the listed objects plus, possibly, temporary files of the killed creates.
  const onDisk = await filesUnder(root);
  const temps = onDisk.filter((p) => p.split('/').pop()!.startsWith('#'));
  expect(onDisk.length).toBe(listed.length + temps.length);
  expect(temps.every((p) => p.endsWith('.tmp'))).toBe(true);
  // Kills did interrupt creates: some left an object not yet reported, or a temporary file.
  expect(listed.length + temps.length).toBeGreaterThan(resolved.length);
  await store.close();
}, 60_000);

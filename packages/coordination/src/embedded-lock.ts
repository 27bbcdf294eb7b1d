// The lock that keeps two processes (or two stores in one process) from opening one embedded store
// directory. The file LOCK is created with O_EXCL and holds "<pid> <start time> <token>"; a lock
// whose process is gone is stale and is taken over.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationError } from './coordination-store.ts';
import { LOCK_FILE } from './embedded-format.ts';

/** Tokens of the locks this process holds: a lock with our pid but another token is stale. */
const heldTokens = new Set<string>();

interface Holder {
  pid: number;
  start: string;
  token: string;
}

function parseHolder(text: string): Holder | undefined {
  const m = /^(\d+) (\S+) (\S+)\n$/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), start: m[2]!, token: m[3]! };
}

/** State and start time (clock ticks since boot) of a process, from /proc where there is one. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 of proc(5) (state); starttime is field 22.
    return { state: fields[0] ?? '', start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function isAlive(holder: Holder): boolean {
  if (holder.pid === process.pid) return heldTokens.has(holder.token);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: it exists, owned by someone else.
  }
  const info = procStat(holder.pid);
  if (info === undefined) return true;
  if (info.state === 'Z' || info.state === 'X') return false; // exited, not yet reaped
  // The pid was reused by a process started at another time.
  if (holder.start !== '-' && info.start !== holder.start) return false;
  return true;
}

export interface DirectoryLock {
  release(): Promise<void>;
}

/** How long a LOCK file without complete content may be in the making before it counts as stale. */
const INCOMPLETE_LOCK_GRACE_MS = 2000;

export async function acquireLock(dir: string): Promise<DirectoryLock> {
  const path = join(dir, LOCK_FILE);
  const token = randomUUID();
  const content = `${process.pid} ${procStat(process.pid)?.start || '-'} ${token}\n`;
  for (let attempt = 0; attempt < 100; attempt++) {
    let fh;
    try {
      fh = await open(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fh !== undefined) {
      try {
        await fh.writeFile(content);
        await fh.sync();
      } finally {
        await fh.close();
      }
      heldTokens.add(token);
      return {
        async release() {
          heldTokens.delete(token);
          try {
            if ((await readFile(path, 'utf8')) === content) await unlink(path);
          } catch {
            // already gone
          }
        },
      };
    }
    // Somebody holds it, or held it.
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const holder = parseHolder(text);
    if (holder === undefined) {
      // Created but not written yet, or its creator died in between.
      let age = Infinity;
      try {
        age = Date.now() - (await stat(path)).mtimeMs;
      } catch {
        continue;
      }
      if (age < INCOMPLETE_LOCK_GRACE_MS) {
        await sleep(50);
        continue;
      }
    } else if (isAlive(holder)) {
      throw new CoordinationError(
        'unavailable',
        `${dir} is in use by process ${holder.pid}${holder.pid === process.pid ? ' (this process)' : ''}`,
      );
    }
    await takeOver(path, text);
  }
  throw new CoordinationError('unavailable', `could not lock ${dir}`);
}

/**
 * Removes a stale LOCK whose content was `stale`, without removing a lock another process has just
 * created in its place: move it aside (rename is atomic), and if what moved is not the stale lock,
 * put it back (link does not replace an existing file).
 */
async function takeOver(path: string, stale: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== stale) {
      await link(aside, path).catch(() => undefined);
    }
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

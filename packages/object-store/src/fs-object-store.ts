import { randomBytes } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  checkObjectKey,
  ObjectExistsError,
  ObjectNotFoundError,
  ObjectStoreError,
  type ByteRange,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreStats,
} from './object-store.ts';
import { checkByteRange, closedError, isKeyPrefix, isKeySegment, zeroStats } from './internal.ts';

/** Starts a temporary file's name; `#` is no key character, so no key names a temporary file. */
const TEMP_MARK = '#';
/** How many file stats `list` keeps in flight. */
const STAT_AHEAD = 32;
/** Attempts of an operation that races a concurrent delete removing its directory. */
const RACE_ROUNDS = 5;

/**
 * The embedded ObjectStore: key `a/b/c` is the file `<root>/a/b/c`.
 *
 * A create writes a temporary file in the target directory, fsyncs it, then `link()`s it to the
 * final name, which is atomic and fails if the name exists, and fsyncs the directory. A final
 * name therefore only ever names a complete, synced file, whatever happens to the process.
 * A crash can leave temporary files (`#<pid>.<random>.tmp`) behind; `list` never shows them and
 * they may be deleted once no writer runs. A delete removes the directories it empties.
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  private readonly s: ObjectStoreStats = zeroStats();
  private closed = false;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Opens a store over `root`, creating the directory if it is missing. */
  static async open(root: string): Promise<FsObjectStore> {
    const store = new FsObjectStore(root);
    await makeDirs(store.root);
    return store;
  }

  async putIfAbsent(key: string, body: Buffer): Promise<void> {
    this.checkOpen();
    checkObjectKey(key);
    this.s.puts++;
    try {
      const { dir, file } = this.locate(key);
      // The temporary name leaves the key's out: a 255-byte segment fills a file name.
      const temp = join(dir, `${TEMP_MARK}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      await this.writeTemp(key, dir, temp, body);
      try {
        await this.linkOnce(key, dir, temp, file, body);
      } finally {
        await unlink(temp).catch(() => undefined);
      }
      // Makes the new name durable; also when another writer linked the same bytes first and
      // may not have synced the directory yet.
      await syncDir(dir);
    } catch (e) {
      this.s.errors++;
      throw toStoreError(e, key, 'put');
    }
  }

  /** Creates `dir` if needed and writes and syncs `body` to the new file `temp` in it. */
  private async writeTemp(key: string, dir: string, temp: string, body: Buffer): Promise<void> {
    for (let round = 1; ; round++) {
      try {
        await makeDirs(dir, this.root);
      } catch (e) {
        const code = errno(e);
        if (code === 'ENOTDIR' || code === 'EEXIST') throw conflict(key);
        throw e;
      }
      let fh;
      try {
        fh = await open(temp, 'wx', 0o644);
      } catch (e) {
        // A delete emptied and removed the directory between mkdir and open: make it again.
        if (errno(e) === 'ENOENT' && round < RACE_ROUNDS) continue;
        throw e;
      }
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.s.bytesWritten += body.length;
      return;
    }
  }

  /** Links `temp` to `file`; if `file` exists, succeeds only if it holds `body`. */
  private async linkOnce(
    key: string,
    dir: string,
    temp: string,
    file: string,
    body: Buffer,
  ): Promise<void> {
    for (let round = 1; round <= RACE_ROUNDS; round++) {
      try {
        await link(temp, file);
        return;
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      let existing: Buffer;
      try {
        const st = await stat(file);
        if (st.isDirectory()) {
          // An empty directory is a leftover (a delete racing a create below it): clear it.
          if (await removeIfEmpty(file)) {
            await syncDir(dir);
            continue;
          }
          throw conflict(key);
        }
        if (!st.isFile() || st.size !== body.length) throw new ObjectExistsError(key);
        existing = await readFile(file);
      } catch (e) {
        if (errno(e) === 'ENOENT') continue; // deleted meanwhile: try the create again
        throw e;
      }
      if (existing.equals(body)) {
        // The same write again (a retry, or a concurrent create of the same bytes). Counted as a
        // failed attempt, as the 412 of S3 is.
        this.s.errors++;
        return;
      }
      throw new ObjectExistsError(key);
    }
    throw new ObjectStoreError('unavailable', `object "${key}" keeps being created and deleted`, key);
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    this.checkOpen();
    checkObjectKey(key);
    checkByteRange(range, key);
    this.s.gets++;
    try {
      const fh = await open(this.locate(key).file, 'r');
      try {
        const st = await fh.stat();
        if (!st.isFile()) throw new ObjectNotFoundError(key); // a directory of other keys
        const start = Math.min(range?.start ?? 0, st.size);
        const end = Math.min(range?.end ?? st.size, st.size);
        const buf = Buffer.allocUnsafe(end - start);
        let done = 0;
        while (done < buf.length) {
          const { bytesRead } = await fh.read(buf, done, buf.length - done, start + done);
          if (bytesRead === 0) break; // objects never shrink; defensive
          done += bytesRead;
        }
        this.s.bytesRead += done;
        return done === buf.length ? buf : buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (e) {
      this.s.errors++;
      if (isMissing(e)) throw new ObjectNotFoundError(key, { cause: e });
      throw toStoreError(e, key, 'get');
    }
  }

  async head(key: string): Promise<{ size: number } | undefined> {
    this.checkOpen();
    checkObjectKey(key);
    this.s.heads++;
    try {
      const st = await stat(this.locate(key).file);
      return st.isFile() ? { size: st.size } : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      this.s.errors++;
      throw toStoreError(e, key, 'head');
    }
  }

  async delete(key: string): Promise<void> {
    this.checkOpen();
    checkObjectKey(key);
    this.s.deletes++;
    const { dir, file } = this.locate(key);
    try {
      try {
        await unlink(file);
      } catch (e) {
        // Nothing there, or a directory of other keys: no object to delete.
        if (isMissing(e) || errno(e) === 'EISDIR' || errno(e) === 'EPERM') return;
        throw e;
      }
      // Remove the directories this emptied, so that their names are free for keys again.
      let d = dir;
      while (d !== this.root && (await removeIfEmpty(d))) d = dirname(d);
      await syncDir(d).catch((e: unknown) => {
        if (!isMissing(e)) throw e;
      });
    } catch (e) {
      this.s.errors++;
      throw toStoreError(e, key, 'delete');
    }
  }

  async *list(prefix: string, opts?: { startAfter?: string }): AsyncIterable<ObjectInfo> {
    this.checkOpen();
    // Start in the deepest directory the prefix names in full: "a/b/c" starts in a/b.
    if (!isKeyPrefix(prefix)) return; // no key can start with it
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const segments = base === '' ? [] : base.slice(0, -1).split('/');
    yield* this.walk(join(this.root, ...segments), base, prefix, opts?.startAfter);
  }

  /**
   * Yields the keys under `dir` (whose keys all start with `base`) that start with `prefix` and
   * come after `startAfter`, in ascending byte order. A directory's keys sort as one block at
   * the place of `<name>/`: every key in it starts with that, and no sibling's name does.
   */
  private async *walk(
    dir: string,
    base: string,
    prefix: string,
    startAfter: string | undefined,
  ): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    this.s.lists++;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return;
      this.s.errors++;
      throw toStoreError(e, undefined, 'list');
    }
    const items: { sortKey: string; path: string; isDir: boolean }[] = [];
    for (const entry of entries) {
      // Temporary files (with `#`) and anything else that cannot be a key's are skipped.
      if (!isKeySegment(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        const sub = base + entry.name + '/';
        if (!sub.startsWith(prefix) && !prefix.startsWith(sub)) continue;
        // Every key under `sub` is before startAfter if sub sorts before it without being its prefix.
        if (startAfter !== undefined && sub < startAfter && !startAfter.startsWith(sub)) continue;
        items.push({ sortKey: sub, path, isDir: true });
      } else if (entry.isFile()) {
        const key = base + entry.name;
        if (!key.startsWith(prefix)) continue;
        if (startAfter !== undefined && key <= startAfter) continue;
        items.push({ sortKey: key, path, isDir: false });
      }
    }
    // Keys are ASCII, so comparing UTF-16 code units is comparing bytes.
    items.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));

    // Stats of the next files run ahead of the consumer; none of these promises rejects.
    const pending = new Map<number, Promise<Stats | undefined | Error>>();
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.isDir) {
        yield* this.walk(item.path, item.sortKey, prefix, startAfter);
        continue;
      }
      if (!pending.has(i)) {
        for (let j = i; j < items.length && j < i + STAT_AHEAD && !items[j]!.isDir; j++) {
          pending.set(j, statQuietly(items[j]!.path));
        }
      }
      const st = await pending.get(i)!;
      pending.delete(i);
      if (st instanceof Error) {
        this.s.errors++;
        throw toStoreError(st, item.sortKey, 'list');
      }
      if (st === undefined || !st.isFile()) continue; // deleted while listing
      yield { key: item.sortKey, size: st.size, lastModified: new Date(st.mtimeMs) };
    }
  }

  stats(): ObjectStoreStats {
    return { ...this.s };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  /** Where a (valid) key lives: its directory and file. */
  private locate(key: string): { dir: string; file: string } {
    const file = join(this.root, ...key.split('/'));
    return { dir: dirname(file), file };
  }
}

/**
 * mkdir -p, then fsyncs the parent of every directory it created so the new entries last.
 * With `root`, refuses to create anything outside it (a root deleted under a running store).
 */
async function makeDirs(dir: string, root?: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  if (root !== undefined && first.length <= root.length) {
    throw new ObjectStoreError('unavailable', `the store's root directory ${root} is gone`);
  }
  const created: string[] = [];
  for (let d = dir; d.length >= first.length; d = dirname(d)) created.push(d);
  for (const d of created.reverse()) await syncDir(dirname(d));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** rmdir if empty; true if `dir` is gone (removed here or already). */
async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return true;
    if (['ENOTEMPTY', 'EEXIST', 'EBUSY', 'ENOTDIR'].includes(errno(e) ?? '')) return false;
    throw e;
  }
}

async function statQuietly(path: string): Promise<Stats | undefined | Error> {
  try {
    return await stat(path);
  } catch (e) {
    if (isMissing(e)) return undefined;
    return e instanceof Error ? e : new Error(String(e));
  }
}

function conflict(key: string): ObjectStoreError {
  return new ObjectStoreError(
    'invalid',
    `object key "${key}" collides with another key's directory or object (as "a" and "a/b" do)`,
    key,
  );
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** The path does not exist, or a part of it is not a directory. */
function isMissing(e: unknown): boolean {
  const code = errno(e);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function toStoreError(e: unknown, key: string | undefined, op: string): ObjectStoreError {
  if (e instanceof ObjectStoreError) return e;
  const code = errno(e);
  const what = `${op}${key === undefined ? '' : ` "${key}"`}`;
  const message = `${what} failed: ${e instanceof Error ? e.message : String(e)}`;
  // Out of space or descriptors, I/O errors: trying again later may work. Anything else
  // (permissions, a read-only filesystem) needs an operator.
  const transient = ['ENOSPC', 'EMFILE', 'ENFILE', 'EIO', 'EAGAIN', 'EBUSY', 'EDQUOT', 'EINTR'];
  return new ObjectStoreError(
    code !== undefined && transient.includes(code) ? 'unavailable' : 'invalid',
    message,
    key,
    { cause: e },
  );
}

// Writes self-checking objects into an FsObjectStore until killed: each body is random bytes
// followed by their SHA-256. Prints each key once its create has resolved.
// Usage: node fs-crash-writer.ts <root> <tag>
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { FsObjectStore } from '../../src/fs-object-store.ts';

const [root, tag] = process.argv.slice(2);
if (root === undefined || tag === undefined) throw new Error('usage: fs-crash-writer.ts <root> <tag>');
const store = await FsObjectStore.open(root);

let next = 0;
async function writer(): Promise<never> {
  for (;;) {
    const i = next++;
    const data = randomBytes(randomInt(0, 2 * 1024 * 1024));
    const body = Buffer.concat([data, createHash('sha256').update(data).digest()]);
    const key = `crash/${tag}/${String(i).padStart(6, '0')}`;
    await store.putIfAbsent(key, body);
    process.stdout.write(`${key}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all([writer(), writer(), writer(), writer()]);

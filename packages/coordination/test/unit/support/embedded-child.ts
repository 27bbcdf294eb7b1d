// A child process for the embedded store's crash tests, run by node directly (type stripping).
//   node embedded-child.ts write <dir> <prefix> <snapshotBytes>
//       puts items (and some two-item transactions, and compare-and-swap increments of one
//       counter) from 8 concurrent workers until killed; prints each acknowledged write:
//       "put <sk>", "tx <i>", "counter <version>"
//   node embedded-child.ts hold <dir>
//       opens the store, prints "ready" and waits to be killed
import { EmbeddedCoordinationStore } from '../../../src/embedded-store.ts';
import { ConditionFailedError } from '../../../src/coordination-store.ts';
import { DURABILITY_PK, valueFor } from './values.ts';

const [mode, dir, prefix, snapshotBytes] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: embedded-child.ts write|hold <dir> ...');

const say = (line: string) => process.stdout.write(`${line}\n`);

if (mode === 'hold') {
  await EmbeddedCoordinationStore.open(dir);
  say('ready');
  setInterval(() => undefined, 1 << 30);
} else {
  const store = await EmbeddedCoordinationStore.open(dir, { snapshotBytes: Number(snapshotBytes) });
  say('ready');
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      const sk = `${prefix}-${String(i).padStart(6, '0')}`;
      if (i % 5 === 0) {
        await store.transact([
          { put: { pk: DURABILITY_PK, sk: `${sk}-a`, ...valueFor(`${sk}-a`) } },
          { put: { pk: DURABILITY_PK, sk: `${sk}-b`, ...valueFor(`${sk}-b`) } },
        ]);
        say(`tx ${sk}`);
      } else {
        await store.put({ pk: DURABILITY_PK, sk, ...valueFor(sk) });
        say(`put ${sk}`);
      }
    }
  };
  const counter = async () => {
    for (;;) {
      const current = await store.get('counter', 'c', { consistent: true });
      const version = typeof current?.version === 'number' ? current.version : 0;
      try {
        await store.put({ pk: 'counter', sk: 'c', version: version + 1 }, version === 0 ? { absent: true } : { version });
        say(`counter ${version + 1}`);
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
      }
    }
  };
  await Promise.all([...Array.from({ length: 8 }, worker), counter()]);
}

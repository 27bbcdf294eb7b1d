// Values the crash test's child writes and the test checks, derived from the key alone.
import { createHash } from 'node:crypto';

export const DURABILITY_PK = 'durability';

export function valueFor(key: string): { text: string; bin: Uint8Array; n: number } {
  const digest = createHash('sha256').update(key).digest();
  const repeat = 1 + (digest[0]! % 40);
  return { text: key.repeat(repeat), bin: new Uint8Array(digest), n: digest.readUInt32LE(1) };
}

// Runtime helpers used by the generated codecs in src/generated/messages/.

import { EncodeError, InvalidRequestError, UNSUPPORTED_VERSION } from '../errors.ts';

/** Deep equality for codec values: numbers (NaN equals NaN), bigints, strings, Buffers, arrays, structs. */
export function valueEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i])) return false;
    return true;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) {
    let va = ra[key];
    let vb = rb[key];
    // An absent list of unknown tagged fields equals an empty one.
    if (key === 'unknownTaggedFields') {
      if (Array.isArray(va) && va.length === 0) va = undefined;
      if (Array.isArray(vb) && vb.length === 0) vb = undefined;
    }
    if (!valueEquals(va, vb)) return false;
  }
  return true;
}

/** Encoder: a non-ignorable field holds a non-default value at a version that lacks it. */
export function fieldNotInVersion(field: string, version: number): never {
  throw new EncodeError(
    `cannot write a non-default ${field} at version ${version}: the field does not exist in that version`,
    UNSUPPORTED_VERSION,
  );
}

/** Encoder: a null where the version does not allow null. */
export function nullNotAllowed(field: string, version: number): never {
  throw new EncodeError(`${field} is null but is not nullable at version ${version}`);
}

/** Decoder: a null on the wire where the version does not allow null. */
export function nullOnWire(field: string, version: number): never {
  throw new InvalidRequestError(`non-nullable field ${field} was serialized as null at version ${version}`);
}

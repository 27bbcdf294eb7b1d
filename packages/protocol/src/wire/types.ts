/** A tagged field kept as raw bytes: unknown tags on structs, and the tagged fields of headers. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Kafka's zero UUID in Floe's representation (base64url, no padding, 22 characters). */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Shared empty buffer used as the default of bytes fields. Zero-length, so it cannot be mutated. */
export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

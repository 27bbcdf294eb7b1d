export { Reader } from './reader.ts';
export { Writer, type SizeMark } from './writer.ts';
export { type TaggedField, ZERO_UUID, EMPTY_BUFFER } from './types.ts';
export { valueEquals } from './support.ts';

/** A partition as the log knows it: the topic's stable id (not its name) and the index. */
export interface PartitionRef {
  /** 16-byte topic id as Kafka prints it: base64url, 22 characters. */
  topicId: string;
  partition: number;
}

export function partitionKey(p: PartitionRef): string {
  return `${p.topicId}:${p.partition}`;
}

/**
 * The journal shard a partition belongs to: FNV-1a over the topic id and partition. Stable
 * across versions and nodes (changing it would split a partition's history).
 */
export function shardOf(p: PartitionRef, shardCount: number): number {
  let h = 0x811c9dc5;
  const s = partitionKey(p);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % shardCount;
}

export function topicIdBytes(topicId: string): Buffer {
  const b = Buffer.from(topicId, 'base64url');
  if (b.length !== 16) throw new RangeError(`topic id "${topicId}" is not 16 bytes of base64url`);
  return b;
}

export function topicIdString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('base64url');
}

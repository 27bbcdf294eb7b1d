// Segment object keys: `<prefix><node>/<upload time, ms, base36, 9 chars>-<12 hex>.seg`. The
// upload time in the key is what the void-window rule and garbage collection reason about.

/**
 * The void window: an entry may only name a segment uploaded at most this long before the
 * entry's journal time. Writers refuse to commit past it (the producer retries with a fresh
 * upload) and replay voids any entry that breaks it, so once every shard's journal time has
 * passed an orphan's upload time plus the window, no commit can ever reference the orphan and it
 * may be deleted. Part of the journal's meaning, so it is fixed in the cluster item at creation;
 * this is the default.
 */
export const DEFAULT_VOID_WINDOW_MS = 5 * 60 * 1000;

export function segmentKey(prefix: string, node: string, uploadMs: number, suffix: string): string {
  return `${prefix}${node}/${uploadMs.toString(36).padStart(9, '0')}-${suffix}.seg`;
}

/** Upload time written in a segment key, or undefined if the key is not a segment key. */
export function segmentUploadTime(key: string): number | undefined {
  const m = /\/([0-9a-z]{9})-[0-9a-f]+\.seg$/.exec(key);
  return m ? parseInt(m[1]!, 36) : undefined;
}

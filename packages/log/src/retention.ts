import type { PartitionState } from './shard-state.ts';

/** Topic configs that drive retention, with Kafka's defaults. */
export interface RetentionConfig {
  /** Keep batches whose max timestamp is within this many ms; -1 keeps forever. Default 7 days. */
  retentionMs: number;
  /** Keep at most this many bytes (newest first); -1 keeps any size. Default -1. */
  retentionBytes: number;
}

export function retentionConfig(configs: Record<string, string>): RetentionConfig {
  const num = (name: string, fallback: number) => {
    const v = configs[name];
    return v === undefined ? fallback : Number(v);
  };
  return { retentionMs: num('retention.ms', 7 * 24 * 3600 * 1000), retentionBytes: num('retention.bytes', -1) };
}

/**
 * Where retention moves a partition's log start at time `now`: past every batch older than
 * retention.ms, and past the oldest batches while the rest exceed retention.bytes. Whole batches
 * only. Returns undefined when the log start stays.
 */
export function retentionTarget(p: PartitionState, cfg: RetentionConfig, now: number): number | undefined {
  let start = p.logStartOffset;
  if (cfg.retentionMs >= 0) {
    const oldest = now - cfg.retentionMs;
    let i = 0;
    while (i < p.batches.length && p.batches[i]!.maxTimestamp < oldest) i++;
    start = Math.max(start, i < p.batches.length ? p.batches[i]!.baseOffset : p.nextOffset);
  }
  if (cfg.retentionBytes >= 0) {
    let total = 0;
    for (const b of p.batches) if (b.endOffset > start) total += b.length;
    for (const b of p.batches) {
      if (total <= cfg.retentionBytes) break;
      if (b.endOffset <= start) continue;
      total -= b.length;
      start = b.endOffset;
    }
  }
  return start > p.logStartOffset ? start : undefined;
}

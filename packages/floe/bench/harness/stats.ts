// Percentiles of a sample, as the harness reports them.

/** The p-th percentile (0-100) by nearest rank; NaN for an empty sample. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1))]!;
}

export function summarize(samples: readonly number[]): { p50: number; p99: number; p999: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), p999: percentile(s, 99.9), max: s[s.length - 1] ?? NaN };
}

/** Kafka's tools count MB as MiB; the harness does the same everywhere. */
export const MIB = 1024 * 1024;

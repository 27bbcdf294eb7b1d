// Floe's request costs from its Prometheus /metrics (docs/observability.md), scraped on every
// node before and after a workload: object-store PUTs and GETs, coordination-table units.

export interface StoreCounters {
  s3Puts: number;
  s3Gets: number;
  readUnits: number;
  writeUnits: number;
  /** Segment objects flushed and their bytes (the sizes the object-store limit is measured at). */
  segments: number;
  segmentBytes: number;
}

export const ZERO_COUNTERS: StoreCounters = { s3Puts: 0, s3Gets: 0, readUnits: 0, writeUnits: 0, segments: 0, segmentBytes: 0 };
const KEYS = Object.keys(ZERO_COUNTERS) as (keyof StoreCounters)[];

/** Applies `f` to each counter of two sets. */
const combine = (f: (a: number, b: number) => number) => (a: StoreCounters, b: StoreCounters): StoreCounters =>
  Object.fromEntries(KEYS.map((k) => [k, f(a[k], b[k])])) as unknown as StoreCounters;

/** Sums the samples of `name` whose labels include every pair of `labels`. */
export function sumSamples(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) have.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total += Number(m[3]);
  }
  return total;
}

export function parseCounters(text: string): StoreCounters {
  return {
    s3Puts: sumSamples(text, 'floe_object_store_requests_total', { op: 'put' }),
    s3Gets: sumSamples(text, 'floe_object_store_requests_total', { op: 'get' }),
    readUnits: sumSamples(text, 'floe_coordination_capacity_units_total', { kind: 'read' }),
    writeUnits: sumSamples(text, 'floe_coordination_capacity_units_total', { kind: 'write' }),
    segments: sumSamples(text, 'floe_flush_segment_bytes_count', {}),
    segmentBytes: sumSamples(text, 'floe_flush_segment_bytes_sum', {}),
  };
}

/** The counters summed over every node's /metrics. */
export async function scrapeCounters(metricsUrls: readonly string[]): Promise<StoreCounters> {
  const all = await Promise.all(
    metricsUrls.map(async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
      return parseCounters(await res.text());
    }),
  );
  return all.reduce(combine((a, b) => a + b), ZERO_COUNTERS);
}

export function diffCounters(after: StoreCounters, before: StoreCounters): StoreCounters {
  return combine((a, b) => a - b)(after, before);
}

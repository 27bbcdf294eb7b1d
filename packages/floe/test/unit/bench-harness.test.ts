// The benchmark harness's parsers and writers (packages/floe/bench/harness), on output captured
// from Kafka 4.3.1's tools and Floe's /metrics; the harness end to end is bench-quick.test.ts.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffCounters, parseCounters } from '../../bench/harness/floe-metrics.ts';
import { parseConsumerPerformance, parseEndToEndLatency, parseProducerPerformance } from '../../bench/harness/kafka-tools.ts';
import { parseOptions, UsageError } from '../../bench/harness/options.ts';
import { END_MARKER, START_MARKER, writeIntoDocs } from '../../bench/harness/report.ts';
import { percentile } from '../../bench/harness/stats.ts';
import { barChartLog, lineChart } from '../../bench/harness/svg.ts';

describe('Kafka tool output', () => {
  it('ProducerPerformance: the interval lines make the series, the last line the summary', () => {
    const out = [
      '7338 records sent, 7330.7 records/sec (7.16 MB/sec), 153.0 ms avg latency, 746.0 ms max latency.',
      '9000 records sent, 9000.0 records/sec (8.79 MB/sec), 120.5 ms avg latency, 300.0 ms max latency.',
      '50000 records sent, 27548.209366 records/sec (26.90 MB/sec), 162.66 ms avg latency, 746.00 ms max latency, 150 ms 50th, 314 ms 95th, 478 ms 99th, 495 ms 99.9th.',
    ].join('\n');
    const p = parseProducerPerformance(out, 1000);
    expect(p).toEqual({
      records: 50000, recordsPerSec: 27548.209366, mbPerSec: 26.9, avgMs: 162.66, maxMs: 746, p50Ms: 150, p95Ms: 314, p99Ms: 478, p999Ms: 495,
      series: [{ t: 1, mbPerSec: 7.16 }, { t: 2, mbPerSec: 8.79 }],
    });
    expect(() => parseProducerPerformance(out.split('\n').slice(0, 2).join('\n'), 1000)).toThrow(/no ProducerPerformance summary/);
  });

  it('ConsumerPerformance: the summary row by its header names', () => {
    const out = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-12-04 13:20:01:000, 2026-12-04 13:20:09:000, 976.5625, 122.0703, 1000000, 125000.0, 2084, 5916, 165.0713, 169033.1305',
    ].join('\n');
    expect(parseConsumerPerformance(out)).toEqual({ records: 1000000, mb: 976.5625, mbPerSec: 122.0703, recordsPerSec: 125000, rebalanceMs: 2084, fetchMbPerSec: 165.0713, fetchRecordsPerSec: 169033.1305 });
    expect(() => parseConsumerPerformance('nothing')).toThrow(/no ConsumerPerformance summary/);
  });

  it('EndToEndLatency: average and percentiles', () => {
    const out = '0\t96.547641\nAvg latency: 8.6364 ms\nPercentiles: 50th = 7, 99th = 30, 99.9th = 96\n';
    expect(parseEndToEndLatency(out)).toEqual({ avgMs: 8.6364, p50Ms: 7, p99Ms: 30, p999Ms: 96, maxMs: 96 });
  });
});

describe("Floe's /metrics", () => {
  const scrape = (puts: number, gets: number, wcu: number) => `# HELP floe_object_store_requests_total x
floe_object_store_requests_total{op="put",outcome="ok"} ${puts}
floe_object_store_requests_total{op="put",outcome="exists"} 1
floe_object_store_requests_total{op="get",outcome="ok"} ${gets}
floe_object_store_requests_total{op="head",outcome="ok"} 50
floe_coordination_capacity_units_total{kind="read"} 4.5
floe_coordination_capacity_units_total{kind="write"} ${wcu}
floe_flush_segment_bytes_sum 3000000
floe_flush_segment_bytes_count 3
`;
  it('sums the samples of each counter over their labels, and differences two scrapes', () => {
    const before = parseCounters(scrape(10, 2, 20));
    expect(before).toEqual({ s3Puts: 11, s3Gets: 2, readUnits: 4.5, writeUnits: 20, segments: 3, segmentBytes: 3000000 });
    expect(diffCounters(parseCounters(scrape(15, 9, 28)), before)).toEqual({ s3Puts: 5, s3Gets: 7, readUnits: 0, writeUnits: 8, segments: 0, segmentBytes: 0 });
  });
});

describe('outputs', () => {
  it('writes the tables between the markers and keeps the prose around them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-docs-'));
    try {
      const file = join(dir, 'b.md');
      writeFileSync(file, `# Title\n\nbefore\n\n${START_MARKER}\nold\n${END_MARKER}\n\nafter\n`);
      writeIntoDocs(file, 'new table');
      expect(readFileSync(file, 'utf8')).toBe(`# Title\n\nbefore\n\n${START_MARKER}\nnew table\n${END_MARKER}\n\nafter\n`);
      const bare = join(dir, 'bare.md');
      writeFileSync(bare, '# Only prose\n');
      writeIntoDocs(bare, 't');
      expect(readFileSync(bare, 'utf8')).toBe(`# Only prose\n\n${START_MARKER}\nt\n${END_MARKER}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws charts as standalone SVG with every series named and text escaped', () => {
    const bars = barChartLog({ title: 'a < b', yLabel: 'ms', categories: ['p50', 'p99'], series: [{ name: 'Kafka', values: [5, 54] }, { name: 'Floe', values: [170, NaN] }] });
    expect(bars.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(bars).toContain('a &lt; b');
    // One bar per value with its tooltip; the NaN one is left out.
    expect(bars.match(/<title>[^<]*<\/title><\/rect>/g)).toEqual(['<title>Kafka p50: 5.00</title></rect>', '<title>Floe p50: 170</title></rect>', '<title>Kafka p99: 54.0</title></rect>']);
    const lines = lineChart({ title: 't', xLabel: 's', yLabel: 'MiB/s', series: [{ name: 'Floe', points: [{ x: 1, y: 10 }, { x: 2, y: 30 }] }] });
    expect(lines).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
  });

  it('percentile by nearest rank', () => {
    const s = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect([percentile(s, 50), percentile(s, 99), percentile(s, 99.9), percentile([], 50)]).toEqual([500, 990, 999, NaN]);
  });
});

describe('options', () => {
  it('parses the flags and refuses unknown systems and options', () => {
    const o = parseOptions(['--quick', '--systems', 'kafka,floe-3', '--base-port', '19525', '--no-limits'], '/repo');
    expect(o).toEqual({ quick: true, outDir: '/repo/docs/bench', docsFile: '/repo/docs/benchmarks.md', systems: ['kafka', 'floe-3'], limits: false, basePort: 19525, profile: false, keepData: false });
    expect(parseOptions(['--keep-data'], '/repo').keepData).toBe(true);
    expect(() => parseOptions(['--systems', 'redpanda'], '/repo')).toThrow(UsageError);
    expect(() => parseOptions(['--fast'], '/repo')).toThrow(/unknown option --fast/);
  });
});

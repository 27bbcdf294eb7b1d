// The benchmark harness as CI runs it: `scripts/bench --quick` against Apache Kafka (from Maven
// Central), one and three Floe nodes on MinIO + DynamoDB Local, and the raw limits, writing into a
// temporary directory. A smoke test: it checks that every system ran every workload and that the
// files are complete and well-formed, never what the figures are.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTestEnv, runTool } from '@floe/testkit';
import { END_MARKER, START_MARKER, type BenchRun } from '../../bench/harness/report.ts';

loadTestEnv(); // fails with the command to run when the environment is not up
const SCRIPT = fileURLToPath(new URL('../../../../scripts/bench', import.meta.url));
/** Floe nodes on 19525.., their HTTP on 19535.., Kafka on 19545-19546. */
const BASE_PORT = 19525;
const dir = mkdtempSync(join(tmpdir(), 'floe-bench-quick-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scripts/bench --quick', () => {
  it('runs Kafka, one Floe node and three, each through every workload, plus the limits, and writes its files', async () => {
    const docs = join(dir, 'benchmarks.md');
    writeFileSync(docs, `# Prose before\n\n${START_MARKER}\nstale table\n${END_MARKER}\n\nProse after.\n`);
    const t0 = Date.now();
    const r = await runTool('bash', [SCRIPT, '--quick', '--out', dir, '--docs', docs, '--base-port', String(BASE_PORT)], { timeoutMs: 240_000 });
    const seconds = (Date.now() - t0) / 1000;
    expect({ code: r.code, timedOut: r.timedOut, stderr: r.code === 0 ? '' : r.stderr.slice(-4000) }).toEqual({ code: 0, timedOut: false, stderr: '' });
    // The progress display named every system and the limits.
    for (const scope of ['kafka:', 'floe-1:', 'floe-3:', 'limits:']) expect(r.stderr).toContain(scope);

    const run = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchRun;
    expect(run.mode).toBe('quick');
    expect(run.systems).toEqual(['kafka', 'floe-1', 'floe-3']);
    const workloads = ['throughput', 'catch-up', 'latency', ...run.sizes.partitionCounts.map((p) => `partitions-${p}`), 'connections'];
    const got = run.results.map((x) => `${x.system}/${x.workload}`).sort();
    expect(got).toEqual(run.systems.flatMap((s) => workloads.map((w) => `${s}/${w}`)).sort());
    for (const x of run.results) {
      // Every figure is a number (not what it is): the parsers found what the tools printed.
      expect(Number.isFinite(x.mbPerSec) && Number.isFinite(x.recordsPerSec) && Number.isFinite(x.cpuSecondsPerMb)).toBe(true);
      if (x.workload !== 'catch-up') expect(Number.isFinite(x.produce?.p99Ms)).toBe(true);
      // Floe's costs come from its /metrics; Kafka has none.
      expect(x.s3PutsPerMb === undefined).toBe(x.system === 'kafka');
    }
    expect(run.results.filter((x) => x.workload === 'latency').every((x) => Number.isFinite(x.endToEnd?.p99Ms))).toBe(true);
    expect(run.limits?.objects.map((o) => o.op).sort()).toEqual(['put', 'put', 'ranged-get', 'ranged-get']);
    expect(Number.isFinite(run.limits?.commit.p99Ms)).toBe(true);

    for (const chart of ['latency-percentiles.svg', 'throughput-over-time.svg']) {
      const svg = readFileSync(join(dir, chart), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      for (const name of ['Kafka 4.3.1, 1 node', 'Floe, 1 node', 'Floe, 3 nodes']) expect(svg).toContain(name);
    }
    const md = readFileSync(docs, 'utf8');
    expect(md.startsWith('# Prose before\n')).toBe(true);
    expect(md.trimEnd().endsWith('Prose after.')).toBe(true);
    expect(md).not.toContain('stale table');
    expect(md).toContain('| (1) throughput, unlimited rate | Floe, 3 nodes |');
    console.log(`scripts/bench --quick took ${seconds.toFixed(0)} s`);
  }, 300_000);
});

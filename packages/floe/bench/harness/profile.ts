// `--profile`: one Floe node under the throughput workload with `node --cpu-prof`, and a summary
// of where its CPU went (self time by area of code, and the top functions).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestEnv } from '@floe/testkit';
import type { Progress } from './progress.ts';
import { startSystem, type Ports } from './systems.ts';
import { runThroughput, type Sizes } from './workloads.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The area of code a frame belongs to, for the summary. */
export function areaOf(frame: ProfileNode['callFrame']): string {
  const { functionName: fn, url } = frame;
  if (fn === '(idle)') return 'idle (event loop waiting)';
  if (fn === '(garbage collector)') return 'garbage collector';
  if (fn === '(program)') return 'V8 and native code outside JS';
  if (/@aws-sdk|@smithy/.test(url)) return 'AWS SDK (S3, DynamoDB clients)';
  const pkg = /\/packages\/([^/]+)\//.exec(url);
  if (pkg && !url.includes('node_modules')) return `@floe/${pkg[1]}`;
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return `npm: ${mod[1]}`;
  if (url.startsWith('node:') || url === '') return 'Node.js internals (streams, net, http, crypto)';
  return 'other';
}

export interface ProfileSummary {
  totalMs: number;
  areas: { area: string; ms: number; share: number }[];
  functions: { name: string; where: string; ms: number; share: number }[];
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; ms: number }>();
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const area = areaOf(f);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = `${f.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    const key = `${f.functionName}@${where}`;
    const entry = functions.get(key) ?? { name: f.functionName || '(anonymous)', where, ms: 0 };
    entry.ms += ms;
    functions.set(key, entry);
  }
  return {
    totalMs,
    areas: [...areas].map(([area, ms]) => ({ area, ms, share: ms / totalMs })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()].map((f) => ({ ...f, share: f.ms / totalMs })).sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

function summaryMarkdown(s: ProfileSummary, context: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return [
    `${context}; ${(s.totalMs / 1000).toFixed(1)} s of samples.`,
    '',
    '| area (self time) | s | share |',
    '| --- | ---: | ---: |',
    ...s.areas.map((a) => `| ${a.area} | ${(a.ms / 1000).toFixed(2)} | ${pct(a.share)} |`),
    '',
    '| function (self time) | where | s | share |',
    '| --- | --- | ---: | ---: |',
    ...s.functions.map((f) => `| \`${f.name}\` | ${f.where} | ${(f.ms / 1000).toFixed(2)} | ${pct(f.share)} |`),
    '',
  ].join('\n');
}

export async function runProfile(opts: { env: TestEnv; sizes: Sizes; ports: Ports; run: string; outDir: string; progress: Progress }): Promise<void> {
  const dir = join(opts.outDir, 'profile');
  mkdirSync(dir, { recursive: true });
  opts.progress.step('floe-1', 'starting with --cpu-prof');
  const system = await startSystem('floe-1', { env: opts.env, ports: opts.ports, run: opts.run, kafkaLibDir: '', cpuProfileDir: dir });
  let result;
  try {
    opts.progress.step('floe-1', `throughput: ${opts.sizes.throughputRecords.toLocaleString('en-US')} x 1 KiB under the profiler`);
    result = await runThroughput(system, opts.env, opts.sizes.throughputRecords);
  } finally {
    opts.progress.step('floe-1', 'stopping (the profile is written at exit)');
    await system.stop();
  }
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const summary = summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  const md = summaryMarkdown(summary, `One Floe node, throughput workload: ${result.mbPerSec.toFixed(1)} MiB/s, ${result.cpuSecondsPerMb.toFixed(3)} CPU s per MiB, profile ${file}`);
  writeFileSync(join(dir, 'summary.md'), md);
  writeFileSync(join(dir, 'summary.json'), `${JSON.stringify({ result, summary }, null, 2)}\n`);
  process.stderr.write(md);
  opts.progress.done(`profile in ${join(dir, file)}, summary in ${join(dir, 'summary.md')}`);
}

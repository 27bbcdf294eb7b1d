// `scripts/chaos [--duration 20m] [--seed N] [--report file.json] [--faults kill-node,...] [--log-dir dir]`: one chaos run; prints a
// summary, writes the JSON report, exits 1 if the checker found any anomaly.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAULT_STEPS, type FaultStep } from './faults.ts';
import { runChaos, summarize } from './run.ts';

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new Error(`--duration: expected a number with ms, s, m or h, got "${text}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
}

function parseSteps(text: string): FaultStep[] {
  const steps = text.split(',');
  for (const s of steps) if (!(FAULT_STEPS as readonly string[]).includes(s)) throw new Error(`--faults: "${s}" is not one of ${FAULT_STEPS.join(', ')}`);
  return steps as FaultStep[];
}

const USAGE = `usage: scripts/chaos [--duration 2m] [--seed N] [--report file.json] [--java-rate 200] [--python-rate 100]
                     [--faults ${FAULT_STEPS.join(',')}] [--log-dir dir]`;

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    duration: { type: 'string', default: '2m' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    report: { type: 'string' },
    'java-rate': { type: 'string', default: '200' },
    'python-rate': { type: 'string', default: '100' },
    faults: { type: 'string' },
    'log-dir': { type: 'string' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const seed = Number(values.seed);
const report = await runChaos({
  seed,
  durationMs: parseDuration(values.duration),
  javaPerSecond: Number(values['java-rate']),
  pythonPerSecond: Number(values['python-rate']),
  stepMs: 8_000,
  calmMs: 4_000,
  leaseMs: 3_000,
  partitions: 6,
  ...(values.faults ? { steps: parseSteps(values.faults) } : {}),
  ...(values['log-dir'] ? { logDir: values['log-dir'] } : {}),
});
const file = values.report ?? `chaos-report-${seed}.json`;
writeFileSync(file, JSON.stringify(report, null, 2));
process.stdout.write(`${summarize(report)}\nreport: ${file}\n`);
process.exit(report.anomalies === 0 ? 0 : 1);

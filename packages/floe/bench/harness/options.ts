// The harness's command line: `scripts/bench [--quick] [--out DIR] [--docs FILE] [--systems LIST]
// [--no-limits] [--keep-data] [--base-port N] [--profile]`.
import { join } from 'node:path';
import { SYSTEMS, type SystemName } from './systems.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: scripts/bench [options]   (also: floe bench [options])
  --quick            small sizes for a smoke test (CI): checks that everything runs
  --out DIR          where results.json and the SVG charts go (default docs/bench)
  --docs FILE        the Markdown file whose marked section gets the tables (default docs/benchmarks.md)
  --systems LIST     comma-separated, from ${SYSTEMS.join(',')} (default all)
  --no-limits        skip the raw MinIO and DynamoDB Local measurements
  --keep-data        keep each Floe cluster's bucket and table (removed after each system by default)
  --base-port N      Floe nodes on N.., their HTTP on N+10.., Kafka on N+20 and N+21 (default 19500)
  --profile          instead: one Floe node under the throughput workload with node --cpu-prof;
                     writes the profile and its summary into DIR`;

export interface Options {
  quick: boolean;
  outDir: string;
  docsFile: string;
  systems: SystemName[];
  limits: boolean;
  basePort: number;
  profile: boolean;
  keepData: boolean;
}

export function parseOptions(argv: readonly string[], repoRoot: string): Options {
  const o: Options = { quick: false, outDir: join(repoRoot, 'docs', 'bench'), docsFile: join(repoRoot, 'docs', 'benchmarks.md'), systems: [...SYSTEMS], limits: true, basePort: 19500, profile: false, keepData: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') o.quick = true;
    else if (arg === '--out') o.outDir = value();
    else if (arg === '--docs') o.docsFile = value();
    else if (arg === '--no-limits') o.limits = false;
    else if (arg === '--profile') o.profile = true;
    else if (arg === '--keep-data') o.keepData = true;
    else if (arg === '--base-port') {
      o.basePort = Number(value());
      if (!Number.isInteger(o.basePort) || o.basePort < 1024 || o.basePort > 65_500) throw new UsageError(`--base-port: not a port: ${argv[i]}`);
    } else if (arg === '--systems') {
      const list = value().split(',');
      const bad = list.filter((s) => !(SYSTEMS as readonly string[]).includes(s));
      if (bad.length > 0 || list.length === 0) throw new UsageError(`--systems: unknown ${bad.join(', ')} (known: ${SYSTEMS.join(', ')})`);
      o.systems = list as SystemName[];
    } else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else throw new UsageError(`unknown option ${arg}`);
  }
  return o;
}

// A Floe node as its own OS process (what `floe start` runs), on the test environment's MinIO and
// DynamoDB Local: tests that kill nodes with SIGKILL need real processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadTestEnv, runTool, type ToolResult } from '@floe/testkit';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface NodeProcess {
  child: ChildProcess;
  /** Resolves once the node listens; rejects if it exits first. */
  ready: Promise<void>;
  /** Everything the node wrote to stdout and stderr so far. */
  output(): string;
  /** What it wrote to stdout alone (its log: JSON lines). */
  stdout(): string;
}

/** The node's start-up line that says its Kafka listener is up (a JSON log line's msg). */
const READY = /^floe: Kafka listener on /;

/** True when one of the complete JSON lines of `text` is the readiness line. */
function readyIn(text: string): boolean {
  return text.split('\n').slice(0, -1).some((line) => {
    try {
      const msg = (JSON.parse(line) as { msg?: unknown }).msg;
      return typeof msg === 'string' && READY.test(msg);
    } catch {
      return false; // not a log line
    }
  });
}

/** The variables that point `floe` at the cluster named `cluster` (its bucket and table) on the test environment. */
export function clusterVariables(cluster: string): Record<string, string> {
  const env = loadTestEnv();
  return {
    NODE_OPTIONS: '',
    FLOE_OBJECT_STORE: `s3://${cluster}`,
    FLOE_S3_ENDPOINT: env.s3Endpoint,
    FLOE_METADATA: `dynamodb://${cluster}`,
    FLOE_DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
    AWS_ACCESS_KEY_ID: env.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    AWS_REGION: env.region,
  };
}

/**
 * Runs one `floe` command (`floe user ...`, `floe acl ...`, `floe produce ...`) as its own process
 * against the cluster's bucket and table, with extra variables and input.
 */
export function runFloeCommand(cluster: string, args: readonly string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<ToolResult> {
  return runTool(process.execPath, ['--conditions=floe-source', CLI, ...args], {
    timeoutMs: 60_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    env: { ...clusterVariables(cluster), ...opts.env },
  });
}

/**
 * Starts `floe start` on 127.0.0.1:`port` with the cluster named `cluster` (its bucket and table
 * names), plus any extra FLOE_* variables and Node flags (`--cpu-prof` for a profile).
 */
export function startNodeProcess(port: number, cluster: string, extra: Record<string, string> = {}, nodeArgs: readonly string[] = []): NodeProcess {
  const child = spawn(process.execPath, ['--conditions=floe-source', ...nodeArgs, CLI, 'start'], {
    env: {
      ...process.env,
      ...clusterVariables(cluster),
      FLOE_KAFKA_LISTEN: `127.0.0.1:${port}`,
      FLOE_HTTP_LISTEN: '127.0.0.1:0',
      FLOE_GRPC_LISTEN: '127.0.0.1:0',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  let started = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
      if (!started && readyIn(stdout)) {
        started = true;
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`node on ${port} exited (${code}) before it was ready: ${out}`)));
  });
  ready.catch(() => undefined); // a kill after start-up is expected; awaiting callers still see failures
  return { child, ready, output: () => out, stdout: () => stdout };
}

/** Stops a node with SIGTERM (SIGKILL after 15 s); resolves once it has exited. */
export function stopNodeProcess(n: NodeProcess | undefined): Promise<void> {
  if (!n || n.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => n.child.kill('SIGKILL'), 15_000);
    n.child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    n.child.kill('SIGTERM');
  });
}

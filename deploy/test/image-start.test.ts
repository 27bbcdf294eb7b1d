// The container image cannot be built on these machines (no Docker engine), so this test runs
// what the image runs: the Dockerfile's ENTRYPOINT and CMD, read from the Dockerfile itself, with
// its ENV and in its WORKDIR, on the layout deploy/docker/assemble-app makes for the image (built
// packages and production dependencies only). The node starts against MinIO + DynamoDB Local,
// passes the readiness probe and the image's HEALTHCHECK, and stops cleanly on SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerfileParser } from 'dockerfile-ast';
import { loadTestEnv, runTool } from '@floe/testkit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface ImageRuntime {
  env: Record<string, string>;
  workdir: string;
  user: string;
  command: string[];
  healthcheck: string[];
}

/** The final stage of the Dockerfile: what a container of the image runs. */
function imageRuntime(): ImageRuntime {
  const instructions = DockerfileParser.parse(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).getInstructions();
  const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
  const stage = instructions.slice(lastFrom + 1);
  const last = (keyword: string) => stage.filter((i) => i.getKeyword() === keyword).at(-1)?.getArgumentsContent() ?? '';
  const env: Record<string, string> = {};
  for (const i of stage) {
    if (i.getKeyword() !== 'ENV') continue;
    for (const m of i.getArgumentsContent()!.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  // Exec form only: a shell form would put /bin/sh in front, and signals would not reach node.
  const exec = (text: string) => JSON.parse(text) as string[];
  return {
    env,
    workdir: last('WORKDIR'),
    user: last('USER'),
    command: [...exec(last('ENTRYPOINT')), ...exec(last('CMD'))],
    healthcheck: exec(last('HEALTHCHECK').replace(/^CMD\s+/, '')),
  };
}

const image = imageRuntime();
const layout = mkdtempSync(join(tmpdir(), 'floe-image-'));
const app = join(layout, 'app');
let node: ChildProcess | undefined;
let output = '';
let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

/** The container's environment: the image's ENV, then what a deployment sets (the test env's stores, loopback listeners). */
function containerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const t = loadTestEnv();
  const cluster = `floe-image-${process.pid}`;
  return {
    // `node` is found on PATH, as in the image; here that is the Node running the tests.
    PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
    ...image.env,
    FLOE_OBJECT_STORE: `s3://${cluster}`,
    FLOE_S3_ENDPOINT: t.s3Endpoint,
    FLOE_METADATA: `dynamodb://${cluster}`,
    FLOE_DYNAMODB_ENDPOINT: t.dynamodbEndpoint,
    FLOE_CREATE_STORAGE: 'true',
    FLOE_KAFKA_LISTEN: '127.0.0.1:0',
    FLOE_HTTP_LISTEN: '127.0.0.1:0',
    FLOE_GRPC_LISTEN: '127.0.0.1:0',
    AWS_ACCESS_KEY_ID: t.accessKeyId,
    AWS_SECRET_ACCESS_KEY: t.secretAccessKey,
    AWS_REGION: t.region,
    ...extra,
  };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'packages/floe/dist/cli.js'))) throw new Error('packages are not built: run npx tsc -b (npm test does)');
  const assembled = await runTool('bash', [join(ROOT, 'deploy/docker/assemble-app'), app], { timeoutMs: 120_000 });
  if (assembled.code !== 0) throw new Error(`assemble-app failed: ${assembled.stderr}`);
}, 150_000);

afterAll(async () => {
  if (node && node.exitCode === null && node.signalCode === null) {
    node.kill('SIGKILL');
    await exit;
  }
  rmSync(layout, { recursive: true, force: true });
});

describe('the image start command', () => {
  test('the Dockerfile runs floe start as node in exec form, as a numeric non-root user, listening on every interface', () => {
    expect(image.command).toEqual(['node', 'packages/floe/dist/cli.js', 'start']);
    expect(image.workdir).toBe('/app');
    expect(image.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(image.env.FLOE_KAFKA_LISTEN).toBe('0.0.0.0:9092');
    expect(image.env.FLOE_HTTP_LISTEN).toBe('0.0.0.0:8080');
    expect(image.env.FLOE_GRPC_LISTEN).toBe('0.0.0.0:50051');
  });

  test('the layout holds production dependencies only', () => {
    expect(existsSync(join(app, 'node_modules/@aws-sdk/client-s3/package.json'))).toBe(true);
    for (const dev of ['typescript', 'jest', '@swc/core', 'kafkajs', 'fast-check', '@floe/testkit', 'dockerfile-ast', 'playwright-core']) {
      expect([dev, existsSync(join(app, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(existsSync(join(app, 'packages/floe/src'))).toBe(false);
  });

  test('starts against MinIO + DynamoDB Local, passes /readyz and the HEALTHCHECK, drains and exits 0 on SIGTERM', async () => {
    node = spawn(image.command[0]!, image.command.slice(1), { cwd: app, env: containerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    exit = new Promise((resolve) => node!.on('exit', (code, signal) => resolve({ code, signal })));
    node.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    node.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    let httpPort: number | undefined;
    for (let i = 0; i < 200 && httpPort === undefined && node.exitCode === null; i++) {
      httpPort = Number(/HTTP listener on 127\.0\.0\.1:(\d+)/.exec(output)?.[1]) || undefined;
      if (httpPort === undefined) await sleep(100);
    }
    expect([httpPort !== undefined, output]).toEqual([true, expect.any(String)]);

    let ready: { status: number; body: string } | undefined;
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      if (res) ready = { status: res.status, body: await res.text() };
      if (ready?.status === 200) break;
      await sleep(250);
    }
    expect(ready?.status).toBe(200);
    expect(JSON.parse(ready!.body)).toMatchObject({ status: 'ready', checks: { objectStore: { ok: true }, coordinationTable: { ok: true } } });
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);

    // The image's HEALTHCHECK, run as Docker runs it: in the container's environment and WORKDIR.
    const health = () =>
      runTool(image.healthcheck[0]!, image.healthcheck.slice(1), {
        timeoutMs: 10_000,
        cwd: app,
        env: { ...containerEnv({ FLOE_HTTP_LISTEN: `0.0.0.0:${httpPort}` }), NODE_OPTIONS: '' },
      });
    const healthy = await health();
    expect([healthy.code, healthy.stderr]).toEqual([0, '']);

    node.kill('SIGTERM');
    const stopped = await Promise.race([exit, sleep(40_000, 'still running' as const, { ref: false })]);
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(output).toContain('floe: draining and stopping');
    expect(output).toMatch(/cluster membership: left/);

    const unhealthy = await health();
    expect(unhealthy.code).toBe(1);
  }, 90_000);
});

// Kill -9 one node of three (each its own OS process, on MinIO + DynamoDB Local) while Kafka's
// VerifiableProducer (acks=all, idempotent) writes: the producer finishes with every record
// acknowledged, and reading the topic back finds every acknowledged record exactly once, at the
// offset it was acknowledged with.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';

const env = loadTestEnv();
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

function startNode(port: number, run: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--conditions=floe-source', CLI, 'start'], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      FLOE_OBJECT_STORE: `s3://floe-kill-${run}`,
      FLOE_S3_ENDPOINT: env.s3Endpoint,
      FLOE_METADATA: `dynamodb://floe-kill-${run}`,
      FLOE_DYNAMODB_ENDPOINT: env.dynamodbEndpoint,
      FLOE_KAFKA_LISTEN: `127.0.0.1:${port}`,
      FLOE_HTTP_LISTEN: '127.0.0.1:0',
      FLOE_GRPC_LISTEN: '127.0.0.1:0',
      AWS_ACCESS_KEY_ID: env.accessKeyId,
      AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
      AWS_REGION: env.region,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Kafka listener on')) resolve();
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.on('exit', (code) => reject(new Error(`node on ${port} exited (${code}) before it was ready: ${out}`)));
  });
  ready.catch(() => undefined); // a kill after start-up is expected; awaiting callers still see failures
  return { child, ready };
}

describe('a node killed under load', () => {
  const nodes: ChildProcess[] = [];
  afterAll(() => {
    for (const n of nodes) n.kill('SIGKILL');
  });

  it('loses and duplicates no acknowledged record', async () => {
    const run = randomUUID().slice(0, 8);
    const ports = [19301, 19302, 19303];
    const started = ports.map((p) => startNode(p, run));
    nodes.push(...started.map((s) => s.child));
    await started[0]!.ready;
    await Promise.all(started.map((s) => s.ready));
    const bootstrap = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const java = (main: string, args: string[], timeoutMs: number) => {
      const { command, args: a } = javaTool(env.java, env.kafkaClasspath, main, args);
      return runTool(command, a, { timeoutMs });
    };
    const create = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'killed', '--partitions', '6'], 60_000);
    expect(create.code).toBe(0);

    // VerifiableProducer sets retries=0 unless told otherwise; a real producer retries (the Java
    // client's defaults), and a NetworkException from the killed node is retriable.
    const config = join(mkdtempSync(join(tmpdir(), 'floe-kill-')), 'producer.properties');
    writeFileSync(config, 'retries=2147483647\nenable.idempotence=true\ndelivery.timeout.ms=120000\nmax.in.flight.requests.per.connection=5\n');
    // 30,000 records at 5,000/s: the kill lands about two seconds in.
    const producing = java('org.apache.kafka.tools.VerifiableProducer', [
      '--bootstrap-server', bootstrap, '--topic', 'killed', '--max-messages', '30000', '--throughput', '5000', '--acks', '-1',
      '--command-config', config,
    ], 150_000);
    await new Promise((r) => setTimeout(r, 2_000));
    started[1]!.child.kill('SIGKILL');
    const produced = await producing;

    const events = produced.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const acked = events.filter((e) => e.name === 'producer_send_success') as { value: string; partition: number; offset: number }[];
    const failed = events.filter((e) => e.name === 'producer_send_error');
    expect(failed).toEqual([]);
    expect(acked).toHaveLength(30000);

    // Read everything back through a surviving node, partition by partition.
    const seen = new Map<string, string>();
    for (let p = 0; p < 6; p++) {
      const r = await runTool(env.kcat, ['-b', '127.0.0.1:19301', '-C', '-t', 'killed', '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', '%o %s\n'], { timeoutMs: 60_000 });
      for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
        const [offset, value] = line.split(' ');
        const key = `${p}:${offset}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, value!);
      }
    }
    // Every acknowledged record is at its offset; no value appears twice.
    for (const a of acked) expect(seen.get(`${a.partition}:${a.offset}`)).toBe(String(a.value));
    expect(new Set(seen.values()).size).toBe(seen.size);
    expect(seen.size).toBe(30000);
  });
});

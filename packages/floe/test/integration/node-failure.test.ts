// Kill -9 one node of three (each its own OS process, on MinIO + DynamoDB Local) while Kafka's
// VerifiableProducer (acks=all, idempotent) writes: the producer finishes with every record
// acknowledged, and reading the topic back finds every acknowledged record exactly once, at the
// offset it was acknowledged with.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';
import { startNodeProcess } from '../support/node-process.ts';

const env = loadTestEnv();
describe('a node killed under load', () => {
  const nodes: ChildProcess[] = [];
  afterAll(() => {
    for (const n of nodes) n.kill('SIGKILL');
  });

  it('loses and duplicates no acknowledged record', async () => {
    const run = randomUUID().slice(0, 8);
    const ports = [19301, 19302, 19303];
    const started = ports.map((p) => startNodeProcess(p, `floe-kill-${run}`));
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

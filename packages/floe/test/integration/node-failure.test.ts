// Kill -9 one node of three (each its own OS process, on MinIO + DynamoDB Local) while Kafka's
// VerifiableProducer (acks=all, idempotent) writes: the producer finishes with every record
// acknowledged, and reading the topic back finds every acknowledged record exactly once, at the
// offset it was acknowledged with.
//
// A group of two VerifiableConsumers (--verbose, committing after each batch) reads the topic the
// whole time, bootstrapped from the two nodes that survive. The group is named so that the node
// killed coordinates it (and it leads some partitions): the members lose their coordinator and
// their fetch leaders at once. They must consume every acknowledged record exactly once, with no
// rebalance and committed offsets only moving forward.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coordinatorNode } from '@floe/broker';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';
import { startNodeProcess } from '../support/node-process.ts';
import {
  checkGroupRun,
  committedUpTo,
  failedCommits,
  heldPartitions,
  lastSeq,
  rebalanceEventsAfter,
  until,
  VerifiableMember,
} from '../support/verifiable-consumer.ts';
import { ackedPerPartition, checkReadBack, getOffsetShell, NO_READ_BACK_PROBLEMS } from '../support/verifiable-producer.ts';

const env = loadTestEnv();
const figures: string[] = [];

describe('a node killed under load', () => {
  const nodes: ChildProcess[] = [];
  const members: VerifiableMember[] = [];
  afterAll(() => {
    for (const m of members) m.kill();
    for (const n of nodes) n.kill('SIGKILL');
    if (figures.length > 0) process.stderr.write(`node failure figures:\n${figures.map((f) => `  ${f}\n`).join('')}`);
  });

  it('loses and duplicates no acknowledged record; a consumer group reading all along consumes each exactly once, without a rebalance', async () => {
    const run = randomUUID().slice(0, 8);
    const ports = [19301, 19302, 19303];
    const started = ports.map((p) => startNodeProcess(p, `floe-kill-${run}`));
    nodes.push(...started.map((s) => s.child));
    await started[0]!.ready;
    await Promise.all(started.map((s) => s.ready));
    const bootstrap = ports.map((p) => `127.0.0.1:${p}`).join(',');
    const victimPort = ports[1]!;
    const survivors = ports.filter((p) => p !== victimPort).map((p) => `127.0.0.1:${p}`).join(',');
    const java = (main: string, args: string[], timeoutMs: number) => {
      const { command, args: a } = javaTool(env.java, env.kafkaClasspath, main, args);
      return runTool(command, a, { timeoutMs });
    };
    const create = await java('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', bootstrap, '--create', '--topic', 'killed', '--partitions', '6'], 60_000);
    expect(create.code).toBe(0);

    // The node ids behind the ports (Metadata through a survivor), once all three are listed.
    let brokers: { id: number; name: string }[] = [];
    let leaders: number[] = [];
    for (let i = 0; i < 50 && brokers.length < 3; i++) {
      const md = await runTool(env.kcat, ['-b', survivors, '-L', '-J', '-t', 'killed'], { timeoutMs: 15_000 });
      const parsed = JSON.parse(md.stdout) as { brokers: { id: number; name: string }[]; topics: { partitions: { leader: number }[] }[] };
      brokers = parsed.brokers;
      leaders = parsed.topics[0]!.partitions.map((p) => p.leader);
      if (brokers.length < 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect(brokers).toHaveLength(3);
    const victimId = brokers.find((b) => b.name === `127.0.0.1:${victimPort}`)!.id;
    const nodeList = brokers.map((b) => ({ nodeId: b.id, host: '127.0.0.1', port: Number(b.name.split(':')[1]), rack: null }));
    // A group id whose coordinator (FindCoordinator hashes over the live nodes) is the node killed.
    const group = Array.from({ length: 100 }, (_, i) => `killed-group-${i}`).find((g) => coordinatorNode(nodeList, 0, g).nodeId === victimId)!;
    expect(group).toBeDefined();

    for (const name of ['vc1', 'vc2']) members.push(new VerifiableMember({ bootstrap: survivors, topic: 'killed', group, name, verbose: true }));
    await until(() => heldPartitions(members).join() === '0,1,2,3,4,5' && members.every((m) => m.owned().size > 0), 60_000, 'two members sharing the 6 partitions');
    const state = await java('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', survivors, '--describe', '--group', group, '--state', '--timeout', '30000'], 60_000);
    expect(state.stdout).toMatch(new RegExp(`^${group}\\s+127\\.0\\.0\\.1:${victimPort}\\s+\\(${victimId}\\)\\s+\\S+\\s+Stable\\s+2\\s*$`, 'm')); // its coordinator
    const formed = lastSeq(members);

    // VerifiableProducer sets retries=0 unless told otherwise; a real producer retries (the Java
    // client's defaults), and a NetworkException from the killed node is retriable.
    const config = join(mkdtempSync(join(tmpdir(), 'floe-kill-')), 'producer.properties');
    writeFileSync(config, 'retries=2147483647\nenable.idempotence=true\ndelivery.timeout.ms=120000\nmax.in.flight.requests.per.connection=5\n');
    // 30,000 records at 5,000/s; the kill lands once the group has consumed 5,000 of them (about
    // a second of writing, whenever the producer's JVM got going): mid-write and mid-read.
    const t0 = Date.now();
    const producing = java('org.apache.kafka.tools.VerifiableProducer', [
      '--bootstrap-server', bootstrap, '--topic', 'killed', '--max-messages', '30000', '--throughput', '5000', '--acks', '-1',
      '--command-config', config,
    ], 150_000);
    const consumedSoFar = () => members.reduce((n, m) => n + m.records.length, 0);
    await until(() => consumedSoFar() >= 5_000, 60_000, 'the group to consume 5,000 records before the kill');
    started[1]!.child.kill('SIGKILL');
    const killedAt = Date.now();
    const killedAfterMs = killedAt - t0;
    const consumedAtKill = consumedSoFar();
    const produced = await producing;
    const producedMs = Date.now() - t0;

    const events = produced.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const acked = events.filter((e) => e.name === 'producer_send_success') as unknown as { key: string | null; value: string; partition: number; offset: number }[];
    const failed = events.filter((e) => e.name === 'producer_send_error');
    expect(failed).toEqual([]);
    expect(acked).toHaveLength(30000);

    // The group catches up: every partition committed up to its log end.
    const ends = await getOffsetShell(survivors, 'killed');
    expect(ends).toEqual(ackedPerPartition(acked, 6));
    await until(() => committedUpTo(members, ends), 120_000, 'the group to consume and commit every record after the kill');
    const caughtUpMs = Date.now() - killedAt;
    const rebalances = rebalanceEventsAfter(members, formed);
    // The same group, now coordinated by a survivor: Stable, both members.
    const after = await java('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', ['--bootstrap-server', survivors, '--describe', '--group', group, '--state', '--timeout', '30000'], 60_000);
    expect(after.stdout).toMatch(new RegExp(`^${group}\\s+127\\.0\\.0\\.1:\\d+\\s+\\(\\d+\\)\\s+\\S+\\s+Stable\\s+2\\s*$`, 'm'));
    expect(after.stdout).not.toContain(`127.0.0.1:${victimPort}`);
    await Promise.all(members.map((m) => m.stop()));

    // Consumed exactly once: each acknowledged record at its partition and offset, nothing else,
    // each partition in offset order (a redelivery would show as a duplicate and a reordering).
    const readBack = checkReadBack(acked, members.flatMap((m) => m.records));
    figures.push(
      `kill -9 of node ${victimId} (coordinator of ${group}, leader of ${leaders.filter((l) => l === victimId).length} of 6 partitions) ${killedAfterMs} ms after the producer started (30,000 records at 5,000/s): ` +
        `producer done in ${producedMs} ms, ${acked.length} acknowledged; consumers had ${consumedAtKill} records at the kill and caught up ${caughtUpMs} ms after it; ` +
        `consumed ${members.map((m) => `${m.name} ${m.records.length}`).join(', ')}; duplicates ${readBack.counts.duplicates}, missing ${readBack.counts.missing}; ` +
        `rebalances (assigned/revoked events after the group formed) ${rebalances}; failed commits ${failedCommits(members).length}`,
    );
    expect(readBack.problems).toEqual(NO_READ_BACK_PROBLEMS);
    expect(readBack.consumed).toBe(30000);
    expect(rebalances).toBe(0);
    const groupRun = checkGroupRun(members);
    expect(groupRun.overlaps).toEqual([]);
    expect(groupRun.backwardCommits).toEqual([]);

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
  }, 420_000);
});

// Floe clusters on MinIO + DynamoDB Local: several brokers started in this process with
// `startBroker`, sharing one bucket and one table and configured as deployments configure them
// (FLOE_* variables). Per-node mode: Metadata lists the live nodes, a new node is listed within
// 2 s, a node leaving or dying drops out, data written through one node is read through another.
// Kafka's VerifiableProducer writes 100,000 records over partitions led by all three nodes and a
// group of two VerifiableConsumers reads every one back where the producer was told it landed.
// Load-balancer mode: three nodes behind a round-robin TCP proxy look like one broker.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOAD_BALANCER_NODE_ID, type Logger } from '@floe/broker';
import { loadTestEnv, RoundRobinProxy, runTool } from '@floe/testkit';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv as makeClusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';
import { checkGroupRun, committedUpTo, heldPartitions, lastSeq, rebalanceEventsAfter, until, VerifiableMember } from '../support/verifiable-consumer.ts';
import { ackedPerPartition, checkReadBack, getOffsetShell, NO_READ_BACK_PROBLEMS, runVerifiableProducer, type ProducerRun } from '../support/verifiable-producer.ts';

const env = loadTestEnv();

interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; partitions: { partition: number; leader: number }[] }[];
}

async function kcatMetadata(bootstrap: string, topic?: string): Promise<KcatMetadata> {
  const r = await runTool(env.kcat, ['-b', bootstrap, '-L', '-J', '-m', '5', ...(topic ? ['-t', topic] : [])], { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`kcat -L failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as KcatMetadata;
}

const brokerIds = (md: KcatMetadata) => md.brokers.map((b) => b.id).sort((a, b) => a - b);

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what} (last: ${JSON.stringify(v)})`);
    await sleep(20);
  }
}

/** Lines "key:value" with unicode and lengths up to a few KB, so a mix-up cannot go unseen. */
const lines = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}:${prefix} value ${i} ünïcødé ✓ ${String.fromCharCode(0x3b1 + (i % 20)).repeat(i * 13)}`);

async function produce(bootstrap: string, topic: string, partition: number, records: string[]): Promise<void> {
  const r = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', topic, '-p', String(partition), '-K:', '-X', 'topic.request.required.acks=-1'], {
    timeoutMs: 30_000,
    input: records.join('\n') + '\n',
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

async function consume(bootstrap: string, topic: string, partition: number): Promise<{ offset: number; line: string }[]> {
  const r = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-J'], { timeoutMs: 30_000 });
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { offset: number; key: string; payload: string })
    .map((m) => ({ offset: m.offset, line: `${m.key}:${m.payload}` }));
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const r = await runTool(env.franz, ['create-topic', '-topic', topic, '-partitions', String(partitions)], { timeoutMs: 30_000, env: { FLOE_BROKERS: bootstrap } });
  expect(r.stdout.trim()).toBe(JSON.stringify({ error: '', topic }));
}

/** A logger that keeps what cluster membership warns about (nothing, when all is well). */
function membershipLog(): Logger & { problems: string[] } {
  const problems: string[] = [];
  const keep = (fields: unknown, message: string) => {
    if (message.startsWith('cluster membership')) problems.push(`${message} ${JSON.stringify(fields)}`);
  };
  const nothing = () => {};
  const log: Logger & { problems: string[] } = { problems, debug: nothing, info: nothing, warn: keep, error: keep, child: () => log };
  return log;
}

const figures: string[] = [];

const cluster = useClusterEnvironment('floe-cluster', () => {
  if (figures.length > 0) process.stderr.write(`cluster figures:\n${figures.map((f) => `  ${f}\n`).join('')}`);
});
const clusterEnv = (extra: Record<string, string> = {}) => makeClusterEnv('floe-cluster', extra);

describe('per-node mode: three brokers on one bucket and one table', () => {
  const vars = clusterEnv();
  const logs: ReturnType<typeof membershipLog>[] = [];
  const nodes: RunningBroker[] = [];
  const addr = (b: RunningBroker) => `127.0.0.1:${b.port}`;
  const start = async (extra: Record<string, string> = {}) => {
    const log = membershipLog();
    logs.push(log);
    const b = await startBroker(loadConfig([], { ...vars, ...extra }, cluster.dir()), log);
    nodes.push(b);
    return b;
  };

  beforeAll(async () => {
    await start(); // creates the bucket and the table
    await Promise.all([start(), start()]); // two at once: distinct ids all the same
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('kcat -L against any node lists the three brokers, each at its own address, and the same leaders', async () => {
    const [a, b, c] = nodes as [RunningBroker, RunningBroker, RunningBroker];
    expect(nodes.map((n) => n.nodeId).sort()).toEqual([1, 2, 3]);
    await createTopic(addr(a), 'spread', 12);
    const expected = nodes
      .map((n) => ({ id: n.nodeId, name: addr(n) }))
      .sort((x, y) => x.id - y.id);
    const views = await Promise.all(
      [a, b, c].map((n) => eventually(() => kcatMetadata(addr(n), 'spread'), (md) => md.brokers.length === 3, 5_000, `3 brokers from ${addr(n)}`)),
    );
    for (const md of views) {
      expect([...md.brokers].sort((x, y) => x.id - y.id)).toEqual(expected);
      expect(md.topics[0]!.partitions.map((p) => p.leader)).toEqual(views[0]!.topics[0]!.partitions.map((p) => p.leader));
    }
    // Partition leaders are spread over the nodes by hashing.
    expect(new Set(views[0]!.topics[0]!.partitions.map((p) => p.leader)).size).toBeGreaterThan(1);
  });

  it('records produced through node A are consumed through node C, offsets and bytes the same', async () => {
    const [a, b, c] = nodes as [RunningBroker, RunningBroker, RunningBroker];
    await createTopic(addr(a), 'across', 3);
    // Only A listed: kcat bootstrapped at A sees one broker and sends every produce to A.
    await Promise.all([b.membership.withdraw(), c.membership.withdraw()]);
    await a.membership.heartbeat();
    expect(brokerIds(await kcatMetadata(addr(a)))).toEqual([a.nodeId]);
    const sent = [0, 1, 2].map((p) => lines(`p${p}`, 60 + p * 10));
    for (const [p, records] of sent.entries()) await produce(addr(a), 'across', p, records);
    // Only C listed: every fetch goes to C, which never saw these produce requests.
    await Promise.all([b.membership.serve(), c.membership.serve(), a.membership.withdraw()]);
    await b.membership.withdraw();
    await c.membership.heartbeat();
    expect(brokerIds(await kcatMetadata(addr(c)))).toEqual([c.nodeId]);
    for (const [p, records] of sent.entries()) {
      const got = await consume(addr(c), 'across', p);
      expect(got.map((m) => m.offset)).toEqual(records.map((_, i) => i));
      expect(got.map((m) => m.line)).toEqual(records);
    }
    await Promise.all([a.membership.serve(), b.membership.serve()]);
    await eventually(() => kcatMetadata(addr(c)), (md) => md.brokers.length === 3, 5_000, 'all three listed again');
  });

  it('a fourth node is listed by the others within 2 s of starting, and gone at once when it closes', async () => {
    const [a] = nodes as [RunningBroker];
    const t0 = Date.now();
    const fourth = await start();
    const started = Date.now() - t0;
    expect(fourth.nodeId).toBe(4);
    // Node A's own view, polled finely, then a real client through node A.
    await eventually(async () => a.membership.liveNodes().length, (n) => n === 4, 3_000, 'fourth node in A view');
    const inView = Date.now() - t0;
    const md = await eventually(() => kcatMetadata(addr(a)), (m) => m.brokers.length === 4, 3_000, 'kcat sees four brokers');
    const inKcat = Date.now() - t0;
    expect(md.brokers.find((x) => x.id === 4)?.name).toBe(addr(fourth));
    figures.push(`new node: startBroker returned after ${started} ms, listed by node A after ${inView} ms, seen by kcat through A after ${inKcat} ms`);
    expect(inView).toBeLessThan(2_000);
    expect(inKcat).toBeLessThan(2_000 + 500); // + one kcat run

    const t1 = Date.now();
    const closing = fourth.close(2_000);
    await eventually(async () => a.membership.liveNodes().length, (n) => n === 3, 3_000, 'fourth node gone from A view');
    const gone = Date.now() - t1;
    await closing;
    nodes.splice(nodes.indexOf(fourth), 1);
    expect(brokerIds(await kcatMetadata(addr(a)))).toEqual([1, 2, 3]);
    figures.push(`graceful leave: gone from node A's view ${gone} ms after close() began`);
    expect(gone).toBeLessThan(1_500);
  });

  it('a node whose heartbeats stop drops out within the lease (5 s)', async () => {
    const [a] = nodes as [RunningBroker];
    const dying = await start();
    await eventually(() => kcatMetadata(addr(a)), (m) => m.brokers.length === 4, 3_000, 'dying node listed');
    await dying.membership.stop({ leave: false }); // as if it hung or lost the network: the lease stays
    const t0 = Date.now();
    await a.membership.heartbeat();
    const lastBeat = a.membership.lastLeases().find((l) => l.nodeId === dying.nodeId)!.expiresAt - 5_000;
    await eventually(async () => a.membership.liveNodes().some((n) => n.nodeId === dying.nodeId), (listed) => !listed, 7_000, 'dead node dropped');
    const dropped = Date.now() - t0;
    const sinceBeat = Date.now() - lastBeat;
    expect(brokerIds(await kcatMetadata(addr(a)))).toEqual([1, 2, 3]);
    figures.push(`dead node: dropped from node A's view ${dropped} ms after its heartbeats stopped, ${sinceBeat} ms after its last heartbeat (lease 5000 ms, heartbeat 1000 ms)`);
    expect(dropped).toBeLessThanOrEqual(5_100);
    expect(sinceBeat).toBeGreaterThanOrEqual(5_000);
    expect(sinceBeat).toBeLessThanOrEqual(5_100);
    await dying.close(1_000);
    nodes.splice(nodes.indexOf(dying), 1);
  }, 30_000);

  it('an explicit node id held by a live node is refused with a clear message', async () => {
    await expect(startBroker(loadConfig([], { ...vars, FLOE_NODE_ID: '2' }, cluster.dir()), membershipLog())).rejects.toThrow(
      /FLOE_NODE_ID: node id 2 is held by a live node \(127\.0\.0\.1:\d+/,
    );
  });

  it('Kafka VerifiableProducer (acks=all, idempotent) writes 100,000 records to 12 partitions led by three nodes; a group of two VerifiableConsumers reads each back at its acknowledged offset, in order; GetOffsetShell agrees', async () => {
    const [topic, group, partitions, n] = ['verifiable', 'verifiable-group', 12, 100_000];
    const bootstrap = nodes.map(addr).join(',');
    await createTopic(bootstrap, topic, partitions);
    const leaders = (await kcatMetadata(bootstrap, topic)).topics[0]!.partitions.map((p) => p.leader);
    expect(new Set(leaders).size).toBe(3);
    // Each member bootstraps from a different node; the group forms before the producer starts,
    // and the members consume while it writes.
    const members = [0, 1].map((i) => new VerifiableMember({ bootstrap: addr(nodes[i]!), topic, group, name: `vc${i + 1}`, verbose: true }));
    let produced: ProducerRun;
    let rebalances: number;
    let consumedMs: number;
    try {
      const full = Array.from({ length: partitions }, (_, i) => i).join();
      await until(() => heldPartitions(members).join() === full && members.every((m) => m.owned().size > 0), 60_000, 'two members sharing the 12 partitions');
      const formed = lastSeq(members);
      const t0 = Date.now();
      produced = await runVerifiableProducer({ bootstrap, topic, records: n, timeoutMs: 240_000 });
      expect(produced.errors).toEqual([]);
      expect(produced.summary).toMatchObject({ sent: n, acked: n });
      expect(produced.acked).toHaveLength(n);
      const ends = await getOffsetShell(bootstrap, topic);
      expect(ends).toEqual(ackedPerPartition(produced.acked, partitions));
      expect([...ends.values()].reduce((a, b) => a + b, 0)).toBe(n);
      await until(() => committedUpTo(members, ends), 180_000, 'the group to consume and commit every record');
      consumedMs = Date.now() - t0;
      rebalances = rebalanceEventsAfter(members, formed);
      await Promise.all(members.map((m) => m.stop()));
    } finally {
      for (const m of members) m.kill();
    }
    const records = members.flatMap((m) => m.records);
    const readBack = checkReadBack(produced.acked, records);
    expect(readBack.problems).toEqual(NO_READ_BACK_PROBLEMS);
    expect(readBack.consumed).toBe(n);
    const run = checkGroupRun(members);
    expect(run.overlaps).toEqual([]);
    expect(run.backwardCommits).toEqual([]);
    expect(rebalances).toBe(0);
    // Each partition was read by one member only.
    const readers = new Map<number, Set<string>>();
    for (const r of records) readers.set(r.partition, (readers.get(r.partition) ?? new Set()).add(r.member));
    expect([...readers.values()].every((s) => s.size === 1)).toBe(true);
    figures.push(
      `VerifiableProducer: ${n} records (acks=all, idempotent) to ${partitions} partitions (leaders on nodes ${[...new Set(leaders)].sort().join(', ')}) in ${produced.ms} ms ` +
        `(${Math.round(n / (produced.ms / 1000))}/s, the tool's own average ${Math.round(produced.summary!.avg_throughput)}/s); ` +
        `two VerifiableConsumers (--verbose; ${members.map((m) => `${m.name} ${m.records.length} records`).join(', ')}) consumed and committed all of them ${consumedMs} ms after the producer started; ${rebalances} rebalances`,
    );
  }, 420_000);

  it('membership logged no problem on any node', () => {
    for (const l of logs) expect(l.problems).toEqual([]);
  });
});

describe('load-balancer mode: three brokers behind one address', () => {
  const proxy = new RoundRobinProxy();
  const nodes: RunningBroker[] = [];
  let lb: string;

  beforeAll(async () => {
    const port = await proxy.listen();
    lb = `127.0.0.1:${port}`;
    const vars = clusterEnv({ FLOE_LOAD_BALANCER: lb });
    const start = async () => nodes.push(await startBroker(loadConfig([], vars, cluster.dir()), membershipLog()));
    await start();
    await Promise.all([start(), start()]);
    proxy.backends = nodes.map((n) => n.port);
  }, 60_000);
  afterAll(async () => {
    await proxy.close();
    await Promise.all(nodes.map((n) => n.close(2_000)));
  });

  it('kcat -L through the load balancer shows one broker, at its address, leading every partition, whichever node answers', async () => {
    expect(nodes.map((n) => n.nodeId).sort()).toEqual([1, 2, 3]); // their own ids, for the lease
    await createTopic(lb, 'behind-lb', 4);
    const before = new Map(proxy.landed);
    for (let i = 0; i < 3; i++) {
      const md = await kcatMetadata(lb, 'behind-lb');
      expect(md.brokers).toEqual([{ id: LOAD_BALANCER_NODE_ID, name: lb }]);
      expect(md.topics[0]!.partitions.map((p) => p.leader)).toEqual([0, 0, 0, 0]);
    }
    // Three runs of kcat landed on every node (round robin), and each answered as the one broker.
    const used = nodes.filter((n) => (proxy.landed.get(n.port) ?? 0) > (before.get(n.port) ?? 0));
    expect(used).toHaveLength(3);
    // Each node also answers directly as the load balancer's node.
    for (const n of nodes) expect((await kcatMetadata(`127.0.0.1:${n.port}`)).brokers).toEqual([{ id: LOAD_BALANCER_NODE_ID, name: lb }]);
  });

  it('produce and consume through the load balancer, connections landing on different nodes', async () => {
    const before = new Map(proxy.landed);
    const sent = [0, 1, 2, 3].map((p) => lines(`lb${p}`, 40 + p));
    for (const [p, records] of sent.entries()) await produce(lb, 'behind-lb', p, records);
    for (const [p, records] of sent.entries()) {
      const got = await consume(lb, 'behind-lb', p);
      expect(got.map((m) => m.offset)).toEqual(records.map((_, i) => i));
      expect(got.map((m) => m.line)).toEqual(records);
    }
    const perNode = nodes.map((n) => (proxy.landed.get(n.port) ?? 0) - (before.get(n.port) ?? 0));
    figures.push(`load-balancer mode: connections per node over 4 produces and 4 consumes: ${perNode.join(', ')}`);
    expect(perNode.filter((c) => c > 0).length).toBeGreaterThanOrEqual(2);
  });

  it('franz-go produces through the load balancer too', async () => {
    // librdkafka above; franz-go maps node ids to addresses its own way.
    const r = await runTool(env.franz, ['produce', '-topic', 'behind-lb'], {
      timeoutMs: 30_000,
      env: { FLOE_BROKERS: lb },
      input: JSON.stringify({ key: Buffer.from('franz').toString('base64'), value: Buffer.from('through the lb').toString('base64'), partition: 3 }) + '\n',
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const got = await consume(lb, 'behind-lb', 3);
    expect(got.at(-1)).toEqual({ offset: 43, line: 'franz:through the lb' });
  });
});

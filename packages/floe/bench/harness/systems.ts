// The systems the harness measures, one at a time: Apache Kafka (one KRaft node) and Floe (one or
// three `floe start` processes in per-node mode on MinIO + DynamoDB Local).
import { removeBucket, removeTable, type TestEnv } from '@floe/testkit';
import { startNodeProcess, type NodeProcess } from '../../test/support/node-process.ts';
import { scrapeCounters, type StoreCounters } from './floe-metrics.ts';
import { startKafkaServer } from './kafka-server.ts';

export type SystemName = 'kafka' | 'floe-1' | 'floe-3';
export const SYSTEMS: readonly SystemName[] = ['kafka', 'floe-1', 'floe-3'];

export const SYSTEM_LABELS: Record<SystemName, string> = {
  kafka: 'Kafka 4.3.1, 1 node',
  'floe-1': 'Floe, 1 node',
  'floe-3': 'Floe, 3 nodes',
};

export interface RunningSystem {
  name: SystemName;
  /** Every node's Kafka address, comma-separated, as clients' bootstrap list. */
  bootstrap: string;
  /** Each node's Kafka port (idle connections are spread over them). */
  ports: number[];
  /** The server processes whose CPU and memory count. */
  pids: number[];
  /** Floe's object-store and coordination counters summed over its nodes; undefined for Kafka. */
  counters?: () => Promise<StoreCounters>;
  stop(): Promise<void>;
}

export interface Ports {
  /** Floe node i listens for Kafka on floeBase + i and for HTTP on floeBase + 10 + i. */
  floeBase: number;
  kafka: number;
  kafkaController: number;
}

export async function startSystem(
  name: SystemName,
  opts: { env: TestEnv; ports: Ports; run: string; kafkaLibDir: string; cpuProfileDir?: string; keepData?: boolean },
): Promise<RunningSystem> {
  if (name === 'kafka') {
    const k = await startKafkaServer({ java: opts.env.java, libDir: opts.kafkaLibDir, port: opts.ports.kafka, controllerPort: opts.ports.kafkaController });
    return { name, bootstrap: k.bootstrap, ports: [opts.ports.kafka], pids: [k.pid], stop: k.stop };
  }
  const count = name === 'floe-3' ? 3 : 1;
  const cluster = `floe-bench-${opts.run}-${name}`;
  const nodes: NodeProcess[] = [];
  const ports = Array.from({ length: count }, (_, i) => opts.ports.floeBase + i);
  const stop = async () => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = new Promise((resolve) => n.child.once('exit', resolve));
        n.child.kill('SIGTERM');
        const timer = setTimeout(() => n.child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    // A full run writes gigabytes: the cluster's bucket and table go with it unless kept.
    if (!opts.keepData) await Promise.all([removeBucket(opts.env, opts.env.s3Endpoint, cluster), removeTable(opts.env, cluster)]);
  };
  try {
    for (const [i, port] of ports.entries()) {
      const node = startNodeProcess(
        port,
        cluster,
        { FLOE_HTTP_LISTEN: `127.0.0.1:${opts.ports.floeBase + 10 + i}`, FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' },
        opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : [],
      );
      nodes.push(node);
      // The first node creates the bucket and the table; the others join it.
      await node.ready;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const metricsUrls = ports.map((_, i) => `http://127.0.0.1:${opts.ports.floeBase + 10 + i}/metrics`);
  return {
    name,
    bootstrap: ports.map((p) => `127.0.0.1:${p}`).join(','),
    ports,
    pids: nodes.map((n) => n.child.pid!),
    counters: () => scrapeCounters(metricsUrls),
    stop,
  };
}

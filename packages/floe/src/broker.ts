// Assembles one Floe node from its configuration: stores, the storage core, the API handlers and
// the Kafka listener, plus the background work (retention, compaction, garbage collection).
import { randomBytes } from 'node:crypto';
import {
  brokerHandlers,
  consoleLogger,
  createRegistry,
  startKafkaListener,
  TopicCache,
  type BrokerContext,
  type Logger,
} from '@floe/broker';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import type { FloeConfig } from './config.ts';
import { openCoordinationStore, openObjectStore } from './stores.ts';

export interface RunningBroker {
  /** The Kafka listener's port (useful when configured with port 0). */
  port: number;
  /** Stops accepting, lets requests in flight finish (up to `drainMs`), flushes, closes stores. */
  close(drainMs?: number): Promise<void>;
}

const RETENTION_EVERY_MS = 60_000;
const MAINTENANCE_EVERY_MS = 5 * 60_000;

export async function startBroker(config: FloeConfig, logger: Logger = consoleLogger()): Promise<RunningBroker> {
  const objects = await openObjectStore(config);
  const coordination = await openCoordinationStore(config);
  // The log's node name only has to be unique among running processes: it names segment objects.
  const log = await FloeLog.open({ objects, coordination, node: `${config.nodeId}-${randomBytes(4).toString('hex')}` });
  const advertised = config.advertisedListener ?? config.kafkaListen;
  const self = { nodeId: config.nodeId, host: advertised.host, port: advertised.port, rack: null };
  const ctx: BrokerContext = {
    log,
    topics: new TopicCache(log.topics),
    producerIds: new ProducerIdAllocator(coordination),
    clusterId: log.cluster.clusterId,
    self,
    // Cluster membership (several nodes in Metadata) comes with the node leases.
    nodes: () => [self],
    settings: {
      autoCreateTopics: config.autoCreateTopics,
      defaultPartitions: config.defaultPartitions,
      maxMessageBytes: 1048588,
    },
  };
  const listener = await startKafkaListener({
    registry: createRegistry(brokerHandlers(ctx, logger)),
    host: config.kafkaListen.host,
    port: config.kafkaListen.port,
    logger,
  });
  if (config.advertisedListener === undefined && config.kafkaListen.port === 0) self.port = listener.port;

  // Background work: idempotent and safe on every node at once, so no coordination is needed.
  const every = (ms: number, what: string, work: () => Promise<unknown>) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((err: unknown) => logger.warn({ err: String(err) }, `${what} failed`))
        .finally(() => (running = false));
    }, ms + Math.floor(Math.random() * ms * 0.2));
    timer.unref();
    return timer;
  };
  const timers = [
    every(RETENTION_EVERY_MS, 'retention', () => log.enforceRetention()),
    every(MAINTENANCE_EVERY_MS, 'compaction and garbage collection', async () => {
      await log.compact();
      await log.collectGarbage();
    }),
  ];

  return {
    port: listener.port,
    async close(drainMs = 30_000) {
      for (const t of timers) clearInterval(t);
      await listener.close({ drainMs });
      await log.close();
      await objects.close();
      await coordination.close();
    },
  };
}

// Assembles one Floe node from its configuration: stores, cluster membership (node id and lease),
// the storage core, the API handlers and the Kafka listener, plus the background work (retention,
// compaction, garbage collection).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  brokerHandlers,
  consoleLogger,
  createRegistry,
  LOAD_BALANCER_NODE_ID,
  Membership,
  MembershipError,
  startKafkaListener,
  TopicCache,
  type BrokerContext,
  type BrokerNode,
  type KafkaListener,
  type Logger,
} from '@floe/broker';
import type { CoordinationStats } from '@floe/coordination';
import { GroupCoordinator } from '@floe/groups';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import { ConfigError, type FloeConfig } from './config.ts';
import { openCoordinationStore, openObjectStore } from './stores.ts';

export interface RunningBroker {
  /** The Kafka listener's port (useful when configured with port 0). */
  port: number;
  /** This node's id in the cluster (its lease); in load-balancer mode clients see LOAD_BALANCER_NODE_ID. */
  nodeId: number;
  /** This node's lease and its view of the live nodes. */
  membership: Membership;
  /**
   * Calls and capacity units this node's coordination store has consumed since it opened (all of
   * the node's users of the table: leases, the log, groups). Read-only; for benchmarks.
   */
  coordinationStats(): CoordinationStats;
  /**
   * Stops being listed by other nodes, stops accepting, lets requests in flight finish (up to
   * `drainMs`), leaves the cluster (deletes the lease), flushes, closes stores.
   */
  close(drainMs?: number): Promise<void>;
}

const RETENTION_EVERY_MS = 60_000;
const MAINTENANCE_EVERY_MS = 5 * 60_000;

export async function startBroker(config: FloeConfig, logger: Logger = consoleLogger()): Promise<RunningBroker> {
  const objects = await openObjectStore(config);
  const coordination = await openCoordinationStore(config);
  const closeStores = async () => {
    await objects.close();
    await coordination.close();
  };
  // The lease records where clients reach this node (per-node mode), or its own listener
  // (load-balancer mode, for operators). Its port is set once the listener is bound.
  const own = config.loadBalancer ? config.kafkaListen : (config.advertisedListener ?? config.kafkaListen);
  let membership: Membership;
  try {
    membership = await Membership.join({
      store: coordination,
      nodeId: config.nodeId,
      host: own.host,
      port: own.port,
      rack: config.rack ?? null,
      heartbeatMs: config.nodeHeartbeatMs,
      leaseMs: config.nodeLeaseMs,
      // The embedded table is locked to this process: leases in it are left by earlier runs.
      exclusive: !config.metadata.startsWith('dynamodb://'),
      logger,
    });
  } catch (err) {
    await closeStores();
    if (err instanceof MembershipError && err.kind === 'id-in-use') throw new ConfigError(`FLOE_NODE_ID: ${err.message}`);
    throw err;
  }
  let log: FloeLog;
  try {
    // The log's node name only has to be unique among running processes: it names segment objects.
    log = await FloeLog.open({ objects, coordination, node: `${membership.nodeId}-${randomBytes(4).toString('hex')}` });
  } catch (err) {
    await membership.stop();
    await closeStores();
    throw err;
  }

  // Per-node mode: each node is itself, Metadata lists the live nodes and hashes partition
  // leaders over them. Load-balancer mode: every node is the one node at the load balancer's
  // address, so clients see a single broker that leads every partition and coordinates every
  // group, whichever node a connection lands on.
  const lbNode: BrokerNode | undefined = config.loadBalancer && {
    nodeId: LOAD_BALANCER_NODE_ID,
    host: config.loadBalancer.host,
    port: config.loadBalancer.port,
    rack: null,
  };
  const groups = new GroupCoordinator({
    store: coordination,
    settings: {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionMs: config.groupMinSessionMs,
      maxSessionMs: config.groupMaxSessionMs,
    },
    consumerSettings: { sessionMs: config.consumerGroupSessionMs, heartbeatIntervalMs: config.consumerGroupHeartbeatMs },
    onError: (err) => logger.warn({ err: String(err) }, 'group barrier: reading the group failed'),
  });
  const ctx: BrokerContext = {
    log,
    groups,
    topics: new TopicCache(log.topics),
    producerIds: new ProducerIdAllocator(coordination),
    clusterId: log.cluster.clusterId,
    get self() {
      return lbNode ?? membership.self();
    },
    nodes: lbNode ? () => [lbNode] : () => membership.liveNodes(),
    settings: {
      autoCreateTopics: config.autoCreateTopics,
      defaultPartitions: config.defaultPartitions,
      maxMessageBytes: 1048588,
    },
  };
  let listener: KafkaListener;
  try {
    listener = await startKafkaListener({
      registry: createRegistry(brokerHandlers(ctx, logger)),
      host: config.kafkaListen.host,
      port: config.kafkaListen.port,
      logger,
    });
  } catch (err) {
    await membership.stop();
    await log.close();
    await closeStores();
    throw err;
  }
  // Listed from here on: other nodes see this one on their next heartbeat (at most one away).
  const boundPort = own === config.kafkaListen && config.kafkaListen.port === 0 ? listener.port : own.port;
  await membership.serve({ host: own.host, port: boundPort });
  logger.info(
    { nodeId: membership.nodeId, mode: lbNode ? 'load-balancer' : 'per-node', advertised: `${ctx.self.host}:${ctx.self.port}` },
    'floe: node joined the cluster',
  );

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

  let closing: Promise<void> | undefined;
  return {
    port: listener.port,
    nodeId: membership.nodeId,
    membership,
    coordinationStats: () => coordination.stats(),
    close(drainMs = 30_000) {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        // Unlisted first, so that clients stop being sent here while this node drains; the id
        // stays held (heartbeats go on) until the drain is over, then the lease is deleted.
        // Bounded: a table that does not answer must not hold up the shutdown.
        await Promise.race([membership.withdraw().catch(() => undefined), sleep(2 * config.nodeHeartbeatMs, undefined, { ref: false })]);
        // Requests waiting on a group barrier are answered now (REBALANCE_IN_PROGRESS): their
        // members rejoin through another node instead of holding up the drain.
        groups.close();
        await listener.close({ drainMs });
        await membership.stop();
        await log.close();
        await closeStores();
      })();
      return closing;
    },
  };
}

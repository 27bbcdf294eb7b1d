// Assembles one Floe node from its configuration: stores, cluster membership (node id and lease),
// the storage core, the API handlers and the Kafka listener, plus the background work (retention,
// compaction, garbage collection).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  brokerHandlers,
  observeHandlers,
  createRegistry,
  LOAD_BALANCER_NODE_ID,
  leaseSortKey,
  Membership,
  MembershipError,
  TopicCache,
  type BrokerContext,
  type BrokerNode,
  type Logger,
} from '@floe/broker';
import { AclCache, AclTable, audit, type Operation } from '@floe/authz';
import type { AdminApi, AdminFor, DoorAuthorizer } from '@floe/admin-api';
import { ScramCredentialStore } from '@floe/auth';
import { startKafkaListeners, type KafkaListeners } from './kafka-listeners.ts';
import { doorAuthenticatorFor, doorTls, watchDoorCertificates } from './door-security.ts';
import type { CoordinationStats } from '@floe/coordination';
import { GroupCoordinator } from '@floe/groups';
import { startGrpcServer, type RunningGrpcServer } from '@floe/grpc';
import { startHttpServer, type RunningHttpServer } from '@floe/http';
import { FloeMetrics, instrumentCoordinationStore, instrumentObjectStore } from '@floe/metrics';
import { apiByKey } from '@floe/protocol';
import { adminService } from './admin-service.ts';
import { aclAdminApi } from './admin-acl.ts';
import { consumerLag } from './consumer-lag.ts';
import { FloeLog, ProducerIdAllocator } from '@floe/log';
import { ConfigError, type FloeConfig } from './config.ts';
import { openCoordinationStore, openObjectStore } from './stores.ts';

export interface RunningBroker {
  /** The Kafka listener's port (useful when configured with port 0). */
  port: number;
  /** Every Kafka listener's port, by listener name. */
  listenerPorts: Record<string, number>;
  /** The HTTP listener's port (/healthz, /readyz, /metrics, /api/v1). */
  httpPort: number;
  /** The gRPC listener's port (floe.v1.Records, floe.v1.Admin, health, reflection). */
  grpcPort: number;
  /** This node's metrics (what /metrics serves). */
  metrics: FloeMetrics;
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

/** `logger`: the node's logger (logging.ts makes it from the configuration; tests pass their own). */
export async function startBroker(config: FloeConfig, logger: Logger): Promise<RunningBroker> {
  // The doors' certificate first: a pair that does not load fails the start before anything opens.
  const tls = doorTls(config);
  // Every call to the two external services is counted and timed (docs/observability.md).
  const metrics = new FloeMetrics();
  const objects = instrumentObjectStore(await openObjectStore(config), metrics);
  const coordination = instrumentCoordinationStore(await openCoordinationStore(config), metrics);
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
    log = await FloeLog.open({
      objects,
      coordination,
      node: `${membership.nodeId}-${randomBytes(4).toString('hex')}`,
      onFlush: (f) => {
        metrics.flushSeconds.observe(f.durationMs / 1000);
        metrics.flushBytes.observe(f.segmentBytes);
        metrics.flushBatches.inc(f.batches);
      },
    });
  } catch (err) {
    await membership.stop();
    await closeStores();
    throw err;
  }

  // Per-node mode: each node is itself, Metadata lists the live nodes and hashes partition
  // leaders over them. Load-balancer mode: every node is the one node at the load balancer's
  // address, so clients see a single broker that leads every partition and coordinates every
  // group, whichever node a connection lands on.
  let lbNode: BrokerNode | undefined = config.loadBalancer && {
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
  // FLOE_AUTHORIZER=acl: this node's copy of the ACLs, loaded now and polled for changes. A
  // node whose first load fails still starts, allowing super users only until a load succeeds.
  let acls: AclCache | undefined;
  let aclTable: AclTable | undefined;
  if (config.authorizer === 'acl') {
    const table = new AclTable(coordination);
    aclTable = table;
    metrics.aclVersion.set(-1);
    acls = new AclCache({
      table,
      superUsers: config.superUsers,
      refreshMs: config.aclRefreshMs,
      onLoaded: (set) => {
        metrics.aclVersion.set(set.version);
        logger.info({ version: set.version, acls: set.acls.length }, 'ACLs loaded');
      },
      onRefreshError: (err) => {
        metrics.aclRefreshFailures.inc();
        logger.warn({ err: String(err), loaded: acls?.loaded ?? false }, 'reading the ACLs failed: keeping the last good set');
      },
    });
    await acls.start();
  }
  const credentials = new ScramCredentialStore(coordination);
  const ctx: BrokerContext = {
    credentials,
    log,
    groups,
    topics: new TopicCache(log.topics),
    producerIds: new ProducerIdAllocator(coordination),
    clusterId: log.cluster.clusterId,
    get self() {
      return lbNode ?? membership.self();
    },
    nodes: lbNode ? () => [lbNode!] : () => membership.liveNodes(),
    settings: {
      autoCreateTopics: config.autoCreateTopics,
      defaultPartitions: config.defaultPartitions,
      maxMessageBytes: 1048588,
    },
    ...(acls && aclTable ? { acls: { authorizer: acls, table: aclTable, refresh: () => acls.refresh(), audit: config.auditLog } } : {}),
  };
  let listeners: KafkaListeners;
  let http: RunningHttpServer;
  let grpc: RunningGrpcServer;
  try {
    const apiLabel = (apiKey: number) => apiByKey(apiKey)?.name ?? 'unknown';
    const handlers = observeHandlers(brokerHandlers(ctx), (r) =>
      metrics.kafkaRequestSeconds.observe({ api: apiLabel(r.apiKey), outcome: r.outcome }, r.durationMs / 1000),
    );
    listeners = await startKafkaListeners(config, credentials, {
      registry: createRegistry(handlers),
      logger,
      slowRequestMs: config.slowRequestMs,
      onRequest: (e) => {
        metrics.kafkaRequests.inc({ api: apiLabel(e.apiKey), outcome: e.outcome });
        metrics.kafkaRequestBytes.inc({ api: apiLabel(e.apiKey) }, e.bytes);
      },
    });
  } catch (err) {
    await membership.stop();
    acls?.stop();
    await log.close();
    await closeStores();
    throw err;
  }
  metrics.provide({
    connections: () => listeners.connectionCount(),
    cache: () => {
      const s = log.stats();
      return { hits: s.cacheHits, misses: s.cacheMisses, bytes: s.cacheBytes };
    },
    consumerLag: () => consumerLag(groups, log, () => ctx.topics.all()),
  });
  // One admin API for both doors; with the authorizer on, each caller's view of it is ACL-checked,
  // and so are the gRPC door's produce, fetch and consume calls.
  const admin = adminService(ctx);
  const doorAuthorizer: DoorAuthorizer | undefined = acls
    ? (caller, operation, type, name) => {
        const allowed = acls.authorize(caller, operation as Operation, { type, name });
        return audit(config.auditLog, (fields, message) => logger.info(fields, message), caller, operation as Operation, `${type}:${name}`, allowed);
      }
    : undefined;
  const doorAdmin: AdminApi | AdminFor = doorAuthorizer ? (caller) => aclAdminApi(admin, doorAuthorizer, caller) : admin;
  const authenticate = doorAuthenticatorFor(config, credentials);
  try {
    http = await startHttpServer({
      host: config.httpListen.host,
      port: config.httpListen.port,
      readiness: {
        // One round trip each: a HEAD of a key that need not exist, a read of this node's lease.
        objectStore: async () => void (await objects.head('floe-readiness-probe')),
        coordinationTable: async () => void (await coordination.get('nodes', leaseSortKey(membership.nodeId))),
      },
      metrics: () => metrics.scrape(),
      admin: doorAdmin,
      logger,
      slowRequestMs: config.slowRequestMs,
      authenticate,
      ...(config.httpTls === 'on' && tls ? { tls } : {}),
    });
  } catch (err) {
    await listeners.close(0);
    await membership.stop();
    acls?.stop();
    await log.close();
    await closeStores();
    throw err;
  }
  try {
    grpc = await startGrpcServer({
      log,
      topics: log.topics,
      host: config.grpcListen.host,
      port: config.grpcListen.port,
      logger,
      slowCallMs: config.slowRequestMs,
      maxMessageBytes: ctx.settings.maxMessageBytes,
      groups,
      producerIds: ctx.producerIds,
      observer: {
        onCall: (e) => {
          metrics.grpcCalls.inc({ method: e.method, code: e.code });
          metrics.grpcCallSeconds.observe({ method: e.method }, e.durationMs / 1000);
          if (e.messagesIn > 0) metrics.grpcMessages.inc({ method: e.method, direction: 'in' }, e.messagesIn);
          if (e.messagesOut > 0) metrics.grpcMessages.inc({ method: e.method, direction: 'out' }, e.messagesOut);
        },
        onBytes: (method, direction, bytes) => metrics.grpcBytes.inc({ method, direction }, bytes),
      },
      admin: doorAdmin,
      ...(doorAuthorizer ? { authorize: doorAuthorizer } : {}),
      authenticate,
      ...(config.grpcTls === 'on' && tls ? { tls } : {}),
    });
  } catch (err) {
    await http.close();
    await listeners.close(0);
    await membership.stop();
    acls?.stop();
    await log.close();
    await closeStores();
    throw err;
  }
  // Listed from here on: other nodes see this one on their next heartbeat (at most one away).
  const stopWatchingDoorCertificates = watchDoorCertificates(
    config,
    [...(config.httpTls === 'on' ? [http] : []), ...(config.grpcTls === 'on' ? [grpc] : [])],
    logger,
  );
  const primary = listeners.all[0]!.listener;
  const boundPort = own === config.kafkaListen && config.kafkaListen.port === 0 ? primary.port : own.port;
  // Several listeners: each listener's advertised address (or load balancer's), else its own.
  const bound = listeners.bound();
  const endpoints =
    config.listeners.length > 1
      ? Object.fromEntries(
          config.listeners.map((l) => [l.name, (config.loadBalancer ? config.loadBalancers[l.name] : config.advertisedListeners[l.name]) ?? bound[l.name]!]),
        )
      : undefined;
  if (lbNode && endpoints) lbNode = { ...lbNode, endpoints };
  await membership.serve({ host: own.host, port: boundPort }, config.loadBalancer ? undefined : endpoints);
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
    port: primary.port,
    listenerPorts: Object.fromEntries(listeners.all.map((r) => [r.config.name, r.listener.port])),
    httpPort: http.port,
    grpcPort: grpc.port,
    metrics,
    nodeId: membership.nodeId,
    membership,
    coordinationStats: () => coordination.stats(),
    close(drainMs = 30_000) {
      closing ??= (async () => {
        for (const t of timers) clearInterval(t);
        stopWatchingDoorCertificates();
        acls?.stop();
        // Unlisted first, so that clients stop being sent here while this node drains; the id
        // stays held (heartbeats go on) until the drain is over, then the lease is deleted.
        // Bounded: a table that does not answer must not hold up the shutdown.
        await Promise.race([membership.withdraw().catch(() => undefined), sleep(2 * config.nodeHeartbeatMs, undefined, { ref: false })]);
        // Requests waiting on a group barrier are answered now (REBALANCE_IN_PROGRESS): their
        // members rejoin through another node instead of holding up the drain.
        groups.close();
        await Promise.all([listeners.close(drainMs), grpc.close()]);
        await http.close();
        await membership.stop();
        await log.close();
        await closeStores();
      })();
      return closing;
    },
  };
}

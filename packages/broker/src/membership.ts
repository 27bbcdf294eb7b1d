// Cluster membership through the coordination table: node ids, leases, and the list of live
// nodes that Metadata shows in per-node mode (docs/cluster.md).
//
// Each node holds one lease item, pk "nodes", sk = its node id as 10 digits (sort keys compare as
// strings). The lease is also the node's claim on its id: an id becomes a node's by creating its
// item (condition: absent) or by taking over an item whose lease ran out (condition: the version
// read), so two live nodes never hold one id. The holder rewrites the item every heartbeat with a
// compare-and-swap on `version`, pushing `expiresAt` one lease ahead; every node reads the whole
// pk "nodes" (strongly consistent) on each heartbeat and lists the leases not yet expired.

import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrokerNode } from './broker-context.ts';
import { silentLogger, type Logger } from './logger.ts';

/** Partition key of the lease items. */
export const NODES_PK = 'nodes';
/** The node id every node answers as in load-balancer mode (docs/cluster.md). */
export const LOAD_BALANCER_NODE_ID = 0;
/** The lowest id a node started without an explicit id can get. */
export const FIRST_AUTO_NODE_ID = 1;
export const MAX_NODE_ID = 2 ** 31 - 1;
export const DEFAULT_HEARTBEAT_MS = 1_000;
export const DEFAULT_LEASE_MS = 5_000;
/** The DynamoDB `ttl` of a lease item lies this long after its expiry: dead nodes' items go away. */
export const EXPIRED_LEASE_KEEP_S = 600;

const ID_DIGITS = 10;
const TTL_ATTRIBUTE = 'ttl';
/** Rounds of "read the leases, try the free ids" before a node started without an id gives up. */
const CLAIM_ROUNDS = 20;
const CLAIM_TRIES_PER_ROUND = 64;
/** While heartbeats keep failing, one warning per this many failures (and the first). */
const WARN_EVERY = 30;

/**
 * The part of the coordination table (`CoordinationStore` of `@floe/coordination`) membership
 * needs. Declared here because the broker package does not depend on the coordination package;
 * every `CoordinationStore` is one.
 */
export interface MembershipStore {
  get(pk: string, sk: string, opts?: { consistent?: boolean }): Promise<LeaseItem | undefined>;
  query(pk: string, opts?: { consistent?: boolean }): Promise<LeaseItem[]>;
  put(item: LeaseItem, condition?: LeaseCondition): Promise<void>;
  delete(pk: string, sk: string, condition?: LeaseCondition): Promise<void>;
}

export interface LeaseItem {
  pk: string;
  sk: string;
  [attribute: string]: string | number | boolean | Uint8Array;
}

export type LeaseCondition = { absent: true } | { version: number };

/** A lease as read from the table. */
export interface NodeLease {
  nodeId: number;
  /** Where clients reach the node (per-node mode), or its own listener (load-balancer mode). */
  host: string;
  port: number;
  rack: string | null;
  /** Its address on each named listener, when it has several (stored as JSON). */
  endpoints?: Endpoints | undefined;
  /** False while the node starts or drains: it holds its id but is not listed. */
  serving: boolean;
  /** Epoch ms, in the holder's clock: the lease holds until then. */
  expiresAt: number;
  startedAt: number;
  version: number;
  /** Random per process: tells this process's writes from another's. */
  owner: string;
}

export type Endpoints = Readonly<Record<string, { host: string; port: number }>>;

function parseEndpoints(v: unknown): Endpoints | undefined {
  if (typeof v !== 'string') return undefined;
  try {
    const parsed = JSON.parse(v) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const out: Record<string, { host: string; port: number }> = {};
    for (const [name, e] of Object.entries(parsed as Record<string, { host?: unknown; port?: unknown }>)) {
      if (typeof e?.host === 'string' && typeof e.port === 'number') out[name] = { host: e.host, port: e.port };
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface MembershipOptions {
  store: MembershipStore;
  /** An explicit node id (FLOE_NODE_ID). Absent: the lowest free id from FIRST_AUTO_NODE_ID. */
  nodeId?: number | undefined;
  host: string;
  /** May be 0 until the listener is bound: `serve()` sets the real address. */
  port: number;
  rack?: string | null | undefined;
  /** Addresses by listener name (several Kafka listeners); `serve()` may set them too. */
  endpoints?: Endpoints | undefined;
  heartbeatMs?: number | undefined;
  /** How long a lease holds after each heartbeat. At least twice `heartbeatMs`. */
  leaseMs?: number | undefined;
  /**
   * How long after a lease expired (by the clocks) before its id may go to another node without
   * waiting. Covers clock skew between nodes. Default `leaseMs`.
   */
  reuseAfterMs?: number | undefined;
  /**
   * No other process can use the store while this one does (the embedded store's directory
   * lock) and it holds one Membership: every lease found at start was left by an earlier
   * process, so all ids are free.
   */
  exclusive?: boolean | undefined;
  logger?: Logger | undefined;
}

export type MembershipErrorKind = 'id-in-use' | 'no-free-id' | 'invalid';

export class MembershipError extends Error {
  readonly kind: MembershipErrorKind;
  constructor(kind: MembershipErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MembershipError';
    this.kind = kind;
  }
}

/** The sort key of node `id`'s lease. */
export function leaseSortKey(id: number): string {
  return String(id).padStart(ID_DIGITS, '0');
}

function isConditionFailure(err: unknown): err is { existing?: LeaseItem } {
  return typeof err === 'object' && err !== null && (err as { kind?: unknown }).kind === 'condition-failed';
}

/** The lease an item holds, or undefined for an item that is not one (never written by Floe). */
export function parseLease(item: LeaseItem | undefined): NodeLease | undefined {
  if (item === undefined || !/^\d{10}$/.test(item.sk)) return undefined;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return {
    nodeId: Number(item.sk),
    host: typeof item.host === 'string' ? item.host : '',
    port: num(item.port),
    rack: typeof item.rack === 'string' ? item.rack : null,
    endpoints: parseEndpoints(item.endpoints),
    serving: item.serving === true,
    expiresAt: num(item.expiresAt),
    startedAt: num(item.startedAt),
    version: num(item.version),
    owner: typeof item.owner === 'string' ? item.owner : '',
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new MembershipError('invalid', `${what} must be a positive integer, got ${v}`);
  return v;
}

/**
 * This node's membership of the cluster: its node id, its lease (kept alive by a heartbeat) and
 * the cached list of live nodes. `join` claims an id and writes a first lease that does not list
 * the node yet; `serve` lists it; `withdraw` unlists it (draining); `stop` ends the heartbeats
 * and, leaving, deletes the lease so the id is free at once.
 */
export class Membership {
  /** This process's node id: stable for its whole life. */
  readonly nodeId: number;
  readonly heartbeatMs: number;
  readonly leaseMs: number;
  private readonly store: MembershipStore;
  private readonly reuseAfterMs: number;
  private readonly logger: Logger;
  private readonly owner: string;
  private readonly startedAt: number;
  private host: string;
  private port: number;
  private readonly rack: string | null;
  private endpoints: Endpoints | undefined;
  private serving = false;
  /** The version of the lease as this node last wrote it. */
  private version: number;
  private leases: NodeLease[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Heartbeats, serve, withdraw and stop run one at a time, in order. */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private left = false;
  private failures = 0;
  private conflicts = 0;

  private constructor(init: {
    options: MembershipOptions;
    nodeId: number;
    version: number;
    owner: string;
    startedAt: number;
    heartbeatMs: number;
    leaseMs: number;
    reuseAfterMs: number;
  }) {
    const { options } = init;
    this.store = options.store;
    this.nodeId = init.nodeId;
    this.version = init.version;
    this.owner = init.owner;
    this.startedAt = init.startedAt;
    this.heartbeatMs = init.heartbeatMs;
    this.leaseMs = init.leaseMs;
    this.reuseAfterMs = init.reuseAfterMs;
    this.logger = options.logger ?? silentLogger;
    this.host = options.host;
    this.port = options.port;
    this.rack = options.rack ?? null;
    this.endpoints = options.endpoints;
  }

  /**
   * Claims a node id (the explicit one, or the lowest free one), writes a first lease (not
   * listed until `serve`), reads the leases of the other nodes and starts the heartbeat.
   * Throws MembershipError 'id-in-use' when a live node holds the explicit id.
   */
  static async join(options: MembershipOptions): Promise<Membership> {
    const heartbeatMs = positive(options.heartbeatMs, DEFAULT_HEARTBEAT_MS, 'heartbeatMs');
    const leaseMs = positive(options.leaseMs, DEFAULT_LEASE_MS, 'leaseMs');
    if (leaseMs < 2 * heartbeatMs) {
      throw new MembershipError('invalid', `the lease (${leaseMs} ms) must be at least twice the heartbeat (${heartbeatMs} ms)`);
    }
    const reuseAfterMs = options.reuseAfterMs ?? leaseMs;
    if (!(reuseAfterMs >= 0)) throw new MembershipError('invalid', `reuseAfterMs must not be negative, got ${reuseAfterMs}`);
    if (options.nodeId !== undefined && !(Number.isSafeInteger(options.nodeId) && options.nodeId >= 0 && options.nodeId <= MAX_NODE_ID)) {
      throw new MembershipError('invalid', `node id must be an integer from 0 to ${MAX_NODE_ID}, got ${options.nodeId}`);
    }
    const claim = new Claim(options, randomBytes(8).toString('hex'), Date.now(), heartbeatMs, leaseMs, reuseAfterMs);
    const { nodeId, version } = options.nodeId === undefined ? await claim.lowestFree() : await claim.explicit(options.nodeId);
    const m = new Membership({ options, nodeId, version, owner: claim.owner, startedAt: claim.startedAt, heartbeatMs, leaseMs, reuseAfterMs });
    m.logger.info({ nodeId, heartbeatMs, leaseMs }, 'cluster membership: node id claimed');
    try {
      await m.refresh();
    } catch (err) {
      m.logger.warn({ err: String(err) }, 'cluster membership: could not read the other nodes yet');
    }
    m.schedule(heartbeatMs);
    return m;
  }

  /** This node as it lists itself. */
  self(): BrokerNode {
    return { nodeId: this.nodeId, host: this.host, port: this.port, rack: this.rack, ...(this.endpoints ? { endpoints: this.endpoints } : {}) };
  }

  /**
   * The live nodes, sorted by id: every serving node whose lease has not expired by this node's
   * clock, as of the last read of the table (at most one heartbeat old), and always this node.
   */
  liveNodes(): BrokerNode[] {
    const now = Date.now();
    const nodes: BrokerNode[] = [this.self()];
    for (const l of this.leases) {
      if (l.nodeId === this.nodeId || !l.serving || !(l.expiresAt > now)) continue;
      nodes.push({ nodeId: l.nodeId, host: l.host, port: l.port, rack: l.rack, ...(l.endpoints ? { endpoints: l.endpoints } : {}) });
    }
    return nodes.sort((a, b) => a.nodeId - b.nodeId);
  }

  /** The leases read on the last heartbeat, expired ones included (for tools and tests). */
  lastLeases(): readonly NodeLease[] {
    return this.leases;
  }

  /** Lists this node (at `address` when given, e.g. once the listener has its port). */
  serve(address?: { host: string; port: number }, endpoints?: Endpoints): Promise<void> {
    return this.serial(async () => {
      if (address) {
        this.host = address.host;
        this.port = address.port;
      }
      if (endpoints) this.endpoints = endpoints;
      this.serving = true;
      await this.beat();
    });
  }

  /** Stops being listed by other nodes while keeping the id (draining before a graceful stop). */
  withdraw(): Promise<void> {
    return this.serial(async () => {
      if (this.stopped) return;
      this.serving = false;
      await this.beat();
    });
  }

  /** One heartbeat now: renew the lease and re-read the others. Failures are logged, not thrown. */
  heartbeat(): Promise<void> {
    return this.serial(() => this.beat());
  }

  /**
   * Ends the heartbeats. Leaving (the default) deletes the lease, so other nodes drop this one on
   * their next read and its id is free at once; without leaving, the lease runs out by itself as
   * after a crash.
   */
  async stop(options: { leave?: boolean } = {}): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.serial(async () => {
      if (options.leave === false || this.left) return;
      this.left = true;
      try {
        await this.store.delete(NODES_PK, leaseSortKey(this.nodeId), { version: this.version });
        this.logger.info({ nodeId: this.nodeId }, 'cluster membership: left');
      } catch (err) {
        // A condition failure: the lease is no longer this node's (taken over after it expired).
        if (!isConditionFailure(err)) this.logger.warn({ nodeId: this.nodeId, err: String(err) }, 'cluster membership: could not delete the lease; it expires by itself');
      }
    });
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const started = Date.now();
      void this.serial(() => this.beat()).finally(() => this.schedule(Math.max(0, this.heartbeatMs - (Date.now() - started))));
    }, delayMs);
    this.timer.unref();
  }

  /** Renews the lease, then re-reads the others. Never throws: the next heartbeat retries. */
  private async beat(): Promise<void> {
    if (this.stopped && this.left) return;
    try {
      await this.renew();
      await this.refresh();
      if (this.failures > 0) this.logger.info({ nodeId: this.nodeId, failures: this.failures }, 'cluster membership: heartbeats work again');
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % WARN_EVERY === 0) {
        this.logger.warn({ nodeId: this.nodeId, failures: this.failures, err: String(err) }, 'cluster membership: heartbeat failed; retrying');
      }
    }
  }

  private lease(version: number): LeaseItem {
    const expiresAt = Date.now() + this.leaseMs;
    return leaseItem(this.nodeId, {
      host: this.host,
      port: this.port,
      rack: this.rack,
      endpoints: this.endpoints,
      serving: this.serving,
      expiresAt,
      startedAt: this.startedAt,
      version,
      owner: this.owner,
    });
  }

  private async renew(): Promise<void> {
    try {
      await this.store.put(this.lease(this.version + 1), { version: this.version });
      this.version++;
      this.conflicts = 0;
      return;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // The lease is not as this node last wrote it: see what is there.
    const sk = leaseSortKey(this.nodeId);
    const current = parseLease(await this.store.get(NODES_PK, sk, { consistent: true }));
    if (current === undefined) {
      // Lost (its DynamoDB ttl passed during a long pause, or deleted by hand): register again.
      await this.store.put(this.lease(this.version + 1), { absent: true });
      this.version++;
      this.logger.warn({ nodeId: this.nodeId }, 'cluster membership: lease was gone; registered again');
      return;
    }
    if (current.owner === this.owner || current.expiresAt + this.reuseAfterMs < Date.now()) {
      // This node's own write whose answer was lost (and retried), or a lease nobody renewed.
      await this.store.put(this.lease(current.version + 1), { version: current.version });
      this.version = current.version + 1;
      if (current.owner !== this.owner) this.logger.warn({ nodeId: this.nodeId }, 'cluster membership: lease had expired; renewed');
      this.conflicts = 0;
      return;
    }
    // Another process holds this id: this node paused for longer than its lease and the id went
    // to a node started meanwhile. Ids are stable for a process's life, so this node keeps
    // serving under its id, unlisted by the others, and retries until the other one leaves.
    if (this.conflicts++ % WARN_EVERY === 0) {
      this.logger.error(
        { nodeId: this.nodeId, holder: `${current.host}:${current.port}`, holderStartedAt: new Date(current.startedAt).toISOString() },
        'cluster membership: another node took this node id while this node was not heartbeating; other nodes do not list this node until it restarts',
      );
    }
  }

  private async refresh(): Promise<void> {
    const items = await this.store.query(NODES_PK, { consistent: true });
    this.leases = items.map(parseLease).filter((l): l is NodeLease => l !== undefined);
  }
}

function leaseItem(
  nodeId: number,
  l: Omit<NodeLease, 'nodeId'>,
): LeaseItem {
  return {
    pk: NODES_PK,
    sk: leaseSortKey(nodeId),
    host: l.host,
    port: l.port,
    ...(l.rack !== null ? { rack: l.rack } : {}),
    ...(l.endpoints ? { endpoints: JSON.stringify(l.endpoints) } : {}),
    serving: l.serving,
    expiresAt: l.expiresAt,
    startedAt: l.startedAt,
    version: l.version,
    owner: l.owner,
    [TTL_ATTRIBUTE]: Math.ceil(l.expiresAt / 1000) + EXPIRED_LEASE_KEEP_S,
  };
}

/** Claiming a node id: the writes `Membership.join` makes before the node exists. */
class Claim {
  readonly owner: string;
  readonly startedAt: number;
  private readonly options: MembershipOptions;
  private readonly heartbeatMs: number;
  private readonly leaseMs: number;
  private readonly reuseAfterMs: number;

  constructor(options: MembershipOptions, owner: string, startedAt: number, heartbeatMs: number, leaseMs: number, reuseAfterMs: number) {
    this.options = options;
    this.owner = owner;
    this.startedAt = startedAt;
    this.heartbeatMs = heartbeatMs;
    this.leaseMs = leaseMs;
    this.reuseAfterMs = reuseAfterMs;
  }

  private item(nodeId: number, version: number): LeaseItem {
    return leaseItem(nodeId, {
      host: this.options.host,
      port: this.options.port,
      rack: this.options.rack ?? null,
      serving: false,
      expiresAt: Date.now() + this.leaseMs,
      startedAt: this.startedAt,
      version,
      owner: this.owner,
    });
  }

  /**
   * Writes the lease of `nodeId` if the item is as read (`previous`, or absent). True when it is
   * now this node's: the write landed, or an earlier attempt of it did (an answer lost and
   * retried by the client, seen as a condition failure on this node's own item).
   */
  private async take(nodeId: number, previous: NodeLease | undefined): Promise<boolean> {
    try {
      await this.options.store.put(this.item(nodeId, (previous?.version ?? 0) + 1), previous ? { version: previous.version } : { absent: true });
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return parseLease(err.existing)?.owner === this.owner;
    }
  }

  /** The lowest id no live node holds, from FIRST_AUTO_NODE_ID; expired ids are reused. */
  async lowestFree(): Promise<{ nodeId: number; version: number }> {
    const { store } = this.options;
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const now = Date.now();
      const leases = (await store.query(NODES_PK, { consistent: true })).map(parseLease).filter((l): l is NodeLease => l !== undefined);
      const byId = new Map(leases.map((l) => [l.nodeId, l]));
      const taken = new Set(leases.filter((l) => !this.options.exclusive && !(l.expiresAt + this.reuseAfterMs < now)).map((l) => l.nodeId));
      let id = FIRST_AUTO_NODE_ID;
      for (let tries = 0; tries < CLAIM_TRIES_PER_ROUND; tries++) {
        while (taken.has(id)) id++;
        if (id > MAX_NODE_ID) break;
        const previous = byId.get(id);
        if (await this.take(id, previous)) return { nodeId: id, version: (previous?.version ?? 0) + 1 };
        // Another node got there first (a concurrent start): try the next free id.
        taken.add(id);
      }
    }
    throw new MembershipError('no-free-id', `no free node id after ${CLAIM_ROUNDS} rounds of claims (too many nodes starting at once?)`);
  }

  /**
   * The id the operator chose. An absent item is taken at once. A held one is watched: if its
   * holder renews it, a live node has this id and the claim is refused; if nobody renews it for a
   * whole lease (its holder crashed and this is its restart), or it expired long ago by the
   * clocks, it is taken over.
   */
  async explicit(nodeId: number): Promise<{ nodeId: number; version: number }> {
    const { store } = this.options;
    const sk = leaseSortKey(nodeId);
    let watched: { version: number; owner: string; since: number } | undefined;
    for (;;) {
      const current = parseLease(await store.get(NODES_PK, sk, { consistent: true }));
      if (current === undefined) {
        if (await this.take(nodeId, undefined)) return { nodeId, version: 1 };
        continue;
      }
      if (watched && (current.version !== watched.version || current.owner !== watched.owner)) {
        throw new MembershipError(
          'id-in-use',
          `node id ${nodeId} is held by a live node (${current.host}:${current.port}, started ${new Date(current.startedAt).toISOString()}): ` +
            'give this node another id, or leave the id unset to get a free one',
        );
      }
      watched ??= { version: current.version, owner: current.owner, since: Date.now() };
      if (this.options.exclusive || current.expiresAt + this.reuseAfterMs < Date.now() || Date.now() - watched.since >= this.leaseMs) {
        if (await this.take(nodeId, current)) return { nodeId, version: current.version + 1 };
        continue; // taken by someone else meanwhile: the next read sees a new version and refuses
      }
      await sleep(Math.max(10, Math.floor(this.heartbeatMs / 4)));
    }
  }
}

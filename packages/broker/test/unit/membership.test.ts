// Cluster membership over the embedded coordination table, with short heartbeats and leases:
// id claims under concurrent starts, expiry, reclaiming, explicit-id conflicts, graceful leave,
// lost leases and failing heartbeats.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import {
  FIRST_AUTO_NODE_ID,
  Membership,
  MembershipError,
  leaseSortKey,
  parseLease,
  type LeaseItem,
  type MembershipOptions,
  type MembershipStore,
} from '../../src/membership.ts';
import type { Logger } from '../../src/logger.ts';

const HEARTBEAT_MS = 50;
const LEASE_MS = 250;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(5);
  }
  return Date.now() - start;
}

function recordingLogger(): Logger & { lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (_fields: unknown, message: string) => void lines.push({ level, message });
  const log: Logger & { lines: typeof lines } = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

describe('Membership', () => {
  let dir: string;
  let store: EmbeddedCoordinationStore;
  const members: Membership[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'floe-membership-'));
    store = await EmbeddedCoordinationStore.open(dir);
  });
  afterEach(async () => {
    await Promise.all(members.splice(0).map((m) => m.stop()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const join_ = async (opts: Partial<MembershipOptions> = {}, serve = true) => {
    const m = await Membership.join({ store, host: '127.0.0.1', port: 9000, heartbeatMs: HEARTBEAT_MS, leaseMs: LEASE_MS, ...opts });
    members.push(m);
    if (serve) await m.serve({ host: '127.0.0.1', port: 9000 + m.nodeId });
    return m;
  };
  const ids = (m: Membership) => m.liveNodes().map((n) => n.nodeId);

  it('gives nodes started at once distinct ids, the lowest free first', async () => {
    const ms = await Promise.all(Array.from({ length: 12 }, () => join_()));
    expect(ms.map((m) => m.nodeId).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => FIRST_AUTO_NODE_ID + i));
    // Each lists every other one after at most one heartbeat, with its address.
    await eventually(() => ms.every((m) => ids(m).length === 12), 1_000, 'all twelve listed everywhere');
    const first = ms.find((m) => m.nodeId === FIRST_AUTO_NODE_ID)!;
    expect(first.liveNodes()[1]).toEqual({ nodeId: 2, host: '127.0.0.1', port: 9002, rack: null });
  });

  it('ids stay unique when claims interleave at random (store calls with random latency)', async () => {
    const slow = <T>(p: () => Promise<T>) => sleep(Math.random() * 4).then(p);
    const jittery: MembershipStore = {
      get: (pk, sk, o) => slow(() => store.get(pk, sk, o)),
      query: (pk, o) => slow(() => store.query(pk, o)),
      put: (item, c) => slow(() => store.put(item, c)),
      delete: (pk, sk, c) => slow(() => store.delete(pk, sk, c)),
    };
    for (let round = 0; round < 3; round++) {
      const ms = await Promise.all(Array.from({ length: 10 }, () => join_({ store: jittery }, false)));
      const got = ms.map((m) => m.nodeId);
      expect(new Set(got).size).toBe(10);
      // Half of them leave: their ids are reused by the next round, never doubled.
      await Promise.all(ms.filter((_, i) => i % 2 === 0).map((m) => m.stop()));
    }
    const live = (await store.query('nodes', { consistent: true })).map((i) => parseLease(i)!.nodeId);
    expect(live).toHaveLength(15);
    expect(new Set(live).size).toBe(15);
  });

  it('writes the lease item: address, expiry, version, and a DynamoDB ttl minutes after expiry', async () => {
    const m = await join_({ rack: 'zone-a' });
    const item = (await store.get('nodes', leaseSortKey(m.nodeId), { consistent: true }))!;
    expect(item.sk).toBe('0000000001');
    const lease = parseLease(item)!;
    expect(lease).toMatchObject({ nodeId: 1, host: '127.0.0.1', port: 9001, rack: 'zone-a', serving: true });
    expect(lease.expiresAt).toBeGreaterThan(Date.now());
    expect(lease.expiresAt).toBeLessThanOrEqual(Date.now() + LEASE_MS);
    expect(item.ttl).toBeGreaterThanOrEqual(Math.ceil(lease.expiresAt / 1000) + 600);
    const v = lease.version;
    await eventually(async () => parseLease(await store.get('nodes', leaseSortKey(1)))!.version > v + 2, 1_000, 'renewed by heartbeats');
  });

  it('a node is listed by the others on their next heartbeat, and not before it serves', async () => {
    const a = await join_();
    const b = await join_({}, false);
    await a.heartbeat();
    expect(ids(a)).toEqual([1]); // b holds id 2 but is still starting
    expect(ids(b)).toEqual([1, 2]); // a node always lists itself
    const t0 = Date.now();
    await b.serve();
    const waited = await eventually(() => ids(a).includes(2), 1_000, 'b listed by a');
    expect(Date.now() - t0).toBeLessThanOrEqual(HEARTBEAT_MS * 3 + 200);
    expect(waited).toBeLessThanOrEqual(HEARTBEAT_MS + 150);
  });

  it('a node whose heartbeats stop drops out once its lease expires', async () => {
    const a = await join_();
    const b = await join_();
    await eventually(() => ids(a).length === 2, 1_000, 'b listed');
    await b.stop({ leave: false }); // as if b crashed: the lease stays until it runs out
    const stoppedAt = Date.now();
    await eventually(() => !ids(a).includes(b.nodeId), 2_000, 'b dropped');
    const tookMs = Date.now() - stoppedAt;
    expect(tookMs).toBeLessThanOrEqual(LEASE_MS + 150);
    expect(tookMs).toBeGreaterThanOrEqual(LEASE_MS - 3 * HEARTBEAT_MS);
  });

  it('graceful leave removes a node at once and frees its id', async () => {
    const a = await join_();
    const b = await join_();
    await eventually(() => ids(a).length === 2, 1_000, 'b listed');
    await b.stop();
    expect(await store.get('nodes', leaseSortKey(b.nodeId), { consistent: true })).toBeUndefined();
    await a.heartbeat();
    expect(ids(a)).toEqual([a.nodeId]);
    const c = await join_();
    expect(c.nodeId).toBe(b.nodeId);
  });

  it('withdraw keeps the id but stops the node being listed', async () => {
    const a = await join_();
    const b = await join_();
    await eventually(() => ids(a).length === 2, 1_000, 'b listed');
    await b.withdraw();
    await a.heartbeat();
    expect(ids(a)).toEqual([1]);
    const c = await join_();
    expect(c.nodeId).toBe(3);
  });

  it('a crashed node restarted without an id reclaims its id once the lease expired; never while live', async () => {
    const a = await join_();
    const b = await join_();
    await b.stop({ leave: false });
    const during = await join_();
    expect(during.nodeId).toBe(3); // b's lease is still live
    await sleep(LEASE_MS * 2 + 50); // expired, and past the reuse delay (one more lease)
    const restarted = await join_();
    expect(restarted.nodeId).toBe(b.nodeId);
    expect(ids(a)).toContain(a.nodeId);
  });

  it('a crashed node restarted with its explicit id takes it back within one lease', async () => {
    const a = await join_({ nodeId: 7 });
    await a.stop({ leave: false });
    const t0 = Date.now();
    const again = await join_({ nodeId: 7 });
    expect(again.nodeId).toBe(7);
    expect(Date.now() - t0).toBeLessThanOrEqual(LEASE_MS + 100);
    expect(parseLease(await store.get('nodes', leaseSortKey(7), { consistent: true }))).toMatchObject({ serving: true, port: 9007 });
  });

  it('refuses an explicit id a live node holds, quickly', async () => {
    await join_({ nodeId: 5 });
    const t0 = Date.now();
    const err = await join_({ nodeId: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipError);
    expect((err as MembershipError).kind).toBe('id-in-use');
    expect((err as Error).message).toMatch(/node id 5 is held by a live node \(127\.0\.0\.1:9005/);
    expect(Date.now() - t0).toBeLessThan(LEASE_MS);
  });

  it('on a store no other process can use, leases left by a crashed run do not hold ids', async () => {
    const crashed = await join_({ exclusive: true });
    await crashed.stop({ leave: false });
    const t0 = Date.now();
    const again = await join_({ exclusive: true });
    expect(again.nodeId).toBe(crashed.nodeId);
    const explicit = await join_({ nodeId: 9, exclusive: true });
    await explicit.stop({ leave: false });
    expect((await join_({ nodeId: 9, exclusive: true })).nodeId).toBe(9);
    expect(Date.now() - t0).toBeLessThan(LEASE_MS);
  });

  it('explicit and automatic ids mix: automatic ones skip ids held explicitly', async () => {
    await join_({ nodeId: 1 });
    await join_({ nodeId: 3 });
    const auto = await Promise.all([join_(), join_()]);
    expect(auto.map((m) => m.nodeId).sort()).toEqual([2, 4]);
  });

  it('refuses settings that cannot work', async () => {
    await expect(Membership.join({ store, host: 'h', port: 1, heartbeatMs: 100, leaseMs: 150 })).rejects.toThrow(/at least twice/);
    await expect(Membership.join({ store, host: 'h', port: 1, nodeId: -1 })).rejects.toThrow(/node id/);
  });

  it('a node that lost its lease item (a long pause) registers again', async () => {
    const logger = recordingLogger();
    const a = await join_({ logger });
    await store.delete('nodes', leaseSortKey(a.nodeId));
    await a.heartbeat();
    expect(parseLease(await store.get('nodes', leaseSortKey(a.nodeId), { consistent: true }))?.serving).toBe(true);
    expect(logger.lines.some((l) => /registered again/.test(l.message))).toBe(true);
  });

  it('a node whose id went to another node while it paused keeps its id, logs the conflict, and is not listed twice', async () => {
    const logger = recordingLogger();
    const a = await join_({ logger, nodeId: 2 });
    const watcher = await join_({ nodeId: 1 });
    await a.stop({ leave: false }); // the "pause": no heartbeats
    const otherLog = recordingLogger();
    const other = await join_({ nodeId: 2, logger: otherLog }); // takes id 2 after watching it go unrenewed
    expect(other.nodeId).toBe(2);
    // a wakes up: its heartbeat finds another owner and leaves the lease alone.
    const before = parseLease(await store.get('nodes', leaseSortKey(2), { consistent: true }))!;
    await a.heartbeat();
    expect(a.nodeId).toBe(2);
    expect(logger.lines.some((l) => l.level === 'error' && /another node took this node id/.test(l.message))).toBe(true);
    expect(parseLease(await store.get('nodes', leaseSortKey(2), { consistent: true }))!.version).toBe(before.version);
    await other.heartbeat();
    expect(parseLease(await store.get('nodes', leaseSortKey(2), { consistent: true }))!.version).toBeGreaterThan(before.version);
    expect(otherLog.lines.filter((l) => l.level !== 'info')).toEqual([]);
    await watcher.heartbeat();
    expect(watcher.liveNodes().filter((n) => n.nodeId === 2)).toHaveLength(1);
  });

  it('heartbeat failures are logged and retried, and the node never crashes', async () => {
    const logger = recordingLogger();
    let failing = false;
    const flaky: MembershipStore = {
      get: (pk, sk, o) => (failing ? Promise.reject(new Error('table unreachable')) : store.get(pk, sk, o)),
      query: (pk, o) => (failing ? Promise.reject(new Error('table unreachable')) : store.query(pk, o)),
      put: (item: LeaseItem, c) => (failing ? Promise.reject(new Error('table unreachable')) : store.put(item, c)),
      delete: (pk, sk, c) => store.delete(pk, sk, c),
    };
    const m = await join_({ store: flaky, logger });
    failing = true;
    await sleep(HEARTBEAT_MS * 4);
    expect(logger.lines.filter((l) => /heartbeat failed/.test(l.message))).toHaveLength(1); // not one per beat
    expect(ids(m)).toEqual([m.nodeId]);
    failing = false;
    await eventually(() => logger.lines.some((l) => /work again/.test(l.message)), 1_000, 'recovered');
    expect(parseLease(await store.get('nodes', leaseSortKey(m.nodeId), { consistent: true }))!.expiresAt).toBeGreaterThan(Date.now());
  });

  it('stop waits for a heartbeat in flight, so a deleted lease is not written back', async () => {
    let release!: () => void;
    let slow = false;
    const gated: MembershipStore = {
      get: (pk, sk, o) => store.get(pk, sk, o),
      query: (pk, o) => store.query(pk, o),
      put: async (item, c) => {
        if (slow) await new Promise<void>((r) => (release = r));
        return store.put(item, c);
      },
      delete: (pk, sk, c) => store.delete(pk, sk, c),
    };
    const m = await join_({ store: gated });
    slow = true;
    const beat = m.heartbeat();
    const stopping = m.stop();
    await sleep(20);
    slow = false;
    release();
    await beat;
    await stopping;
    expect(await store.get('nodes', leaseSortKey(m.nodeId), { consistent: true })).toBeUndefined();
  });

  it('keeps no timer that holds the process open', async () => {
    const m = await join_();
    for (let i = 0; i < 5; i++) {
      const timer = (m as unknown as { timer: NodeJS.Timeout | undefined }).timer;
      expect(timer === undefined || !timer.hasRef()).toBe(true);
      await sleep(HEARTBEAT_MS / 2);
    }
  });
});

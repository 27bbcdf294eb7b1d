// Requests that wait on a group barrier (JoinGroup until the join barrier closes, a follower's
// SyncGroup until the leader's assignment lands) wait here, one watch per group per node.
//
// A change made by this node is handed to the watch as it is written, so waiters on the node
// that closes a barrier are answered at once, with no read. A barrier closed by another node
// (members of one group behind a load balancer) is seen by the watch's own re-read of the group:
// strongly consistent reads 25, 50, 100 ms apart, then one per `pollMs` per group per node, only
// while someone waits: never a busy loop. The watch also runs the transitions that fall due by time alone (the rebalance
// deadline, a member's session running out) through `tick`, which writes them like any change.
import { nextTransitionAt, type Group } from './group-model.ts';

/** The first re-read of a group after a wait begins; later ones double up to `pollMs`. */
const FIRST_READ_MS = 25;

export interface Waiter<R> {
  /** The answer for this state of the group, or undefined to keep waiting. */
  check(g: Group | undefined): R | undefined;
  /** Epoch ms after which the waiter gets `onTimeout()` (also its answer when its request is aborted). */
  deadline: number;
  onTimeout(): R;
  /** The answer when the watch closes (the node shuts down). */
  onClose(): R;
}

interface Entry {
  check(g: Group | undefined): unknown;
  deadline: number;
  onTimeout(): unknown;
  onClose(): unknown;
  resolve(value: unknown): void;
}

interface Watch {
  waiters: Set<Entry>;
  last: Group | undefined;
  lastVersion: number;
  wake: (() => void) | undefined;
}

export interface BarrierWatchOptions {
  pollMs: number;
  now(): number;
  /** A strongly consistent read of the group, with its version (0: no group). */
  read(groupId: string): Promise<{ group: Group | undefined; version: number }>;
  /** Applies the transitions due by time and writes them (publishing the result). */
  tick(groupId: string): Promise<void>;
  onError(err: unknown): void;
}

export class BarrierWatch {
  private readonly watches = new Map<string, Watch>();
  private readonly opts: BarrierWatchOptions;
  private closed = false;

  constructor(opts: BarrierWatchOptions) {
    this.opts = opts;
  }

  /** A group as just written or read by this node. Newer versions only: a slow read never undoes a write. */
  publish(groupId: string, group: Group | undefined, version: number): void {
    const w = this.watches.get(groupId);
    if (!w || version < w.lastVersion) return;
    w.last = group;
    w.lastVersion = version;
    for (const e of w.waiters) {
      const r = e.check(group);
      if (r !== undefined) {
        w.waiters.delete(e);
        e.resolve(r);
      }
    }
    w.wake?.();
  }

  /** Waits until `waiter.check` answers for a state of the group, starting from `current`. */
  wait<R>(groupId: string, current: Group | undefined, version: number, waiter: Waiter<R>, signal?: AbortSignal): Promise<R> {
    const first = waiter.check(current);
    if (first !== undefined) return Promise.resolve(first);
    if (this.closed) return Promise.resolve(waiter.onClose());
    if (signal?.aborted) return Promise.resolve(waiter.onTimeout());
    let w = this.watches.get(groupId);
    const start = !w;
    if (!w) {
      w = { waiters: new Set(), last: current, lastVersion: version, wake: undefined };
      this.watches.set(groupId, w);
    } else if (version > w.lastVersion) {
      w.last = current;
      w.lastVersion = version;
    }
    const watch = w;
    const answer = new Promise<R>((resolve) => {
      const entry: Entry = {
        check: waiter.check,
        deadline: waiter.deadline,
        onTimeout: waiter.onTimeout,
        onClose: waiter.onClose,
        resolve: resolve as (v: unknown) => void,
      };
      watch.waiters.add(entry);
      watch.wake?.();
      signal?.addEventListener(
        'abort',
        () => {
          if (watch.waiters.delete(entry)) resolve(waiter.onTimeout());
        },
        { once: true },
      );
    });
    // Started only once the waiter is in the set: the loop ends (and drops the watch) as soon as
    // it finds no waiters, which it checks before its first await.
    if (start) void this.run(groupId, watch);
    return answer;
  }

  private async run(groupId: string, w: Watch): Promise<void> {
    const { pollMs, now } = this.opts;
    // Re-reads are paced from the last read, not from the last local write, so a stream of
    // local changes never starves the view of other nodes' writes. The first come soon (a barrier
    // another node closes is usually closed within a few tens of ms) and back off to `pollMs`.
    let interval = Math.min(pollMs, FIRST_READ_MS);
    let nextRead = now() + interval;
    while (w.waiters.size > 0 && !this.closed) {
      const t = now();
      let until = nextRead;
      if (w.last) until = Math.min(until, nextTransitionAt(w.last));
      for (const e of w.waiters) until = Math.min(until, e.deadline);
      if (until > t) {
        const woken = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), until - t);
          w.wake = () => {
            clearTimeout(timer);
            resolve(true);
          };
        });
        w.wake = undefined;
        if (woken) continue;
      }
      if (w.waiters.size === 0 || this.closed) break;
      const at = now();
      for (const e of w.waiters) {
        if (at >= e.deadline) {
          w.waiters.delete(e);
          e.resolve(e.onTimeout());
        }
      }
      if (w.waiters.size === 0) break;
      try {
        if (w.last && at >= nextTransitionAt(w.last)) await this.opts.tick(groupId);
        else if (at >= nextRead) {
          interval = Math.min(pollMs, interval * 2);
          nextRead = at + interval;
          const { group, version } = await this.opts.read(groupId);
          this.publish(groupId, group, version);
        }
      } catch (err) {
        this.opts.onError(err);
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    }
    this.watches.delete(groupId);
  }

  /** Answers every waiter with its close answer and stops the watches. */
  close(): void {
    this.closed = true;
    for (const w of this.watches.values()) {
      for (const e of w.waiters) e.resolve(e.onClose());
      w.waiters.clear();
      w.wake?.();
    }
  }
}

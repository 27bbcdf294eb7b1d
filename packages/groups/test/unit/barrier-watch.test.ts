// Waiting on a group barrier: answers from this node's own writes, from the poll of other
// nodes' writes, from transitions due by time, at a waiter's deadline, on abort and on close.
import { describe, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { BarrierWatch, type BarrierWatchOptions, type Waiter } from '../../src/barrier-watch.ts';
import { newGroup, type Group } from '../../src/group-model.ts';

function groupAt(generation: number, over: Partial<Group> = {}): Group {
  return { ...newGroup('g', 0), generation, ...over };
}

/** A waiter answered with the generation once the group has passed `generation`. */
function past(generation: number, deadlineIn = 5_000): Waiter<number | 'timeout' | 'closed'> {
  return {
    check: (g) => (g && g.generation > generation ? g.generation : undefined),
    deadline: Date.now() + deadlineIn,
    onTimeout: () => 'timeout',
    onClose: () => 'closed',
  };
}

function watchWith(opts: Partial<BarrierWatchOptions> = {}) {
  const stored: { group: Group | undefined; version: number } = { group: groupAt(0), version: 1 };
  const calls = { read: 0, tick: 0 };
  const errors: unknown[] = [];
  const watch = new BarrierWatch({
    pollMs: 20,
    now: Date.now,
    read: async () => {
      calls.read++;
      return stored;
    },
    tick: async () => {
      calls.tick++;
    },
    onError: (err) => errors.push(err),
    ...opts,
  });
  return { watch, stored, calls, errors };
}

async function within<T>(ms: number, what: string, f: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([f, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe('BarrierWatch', () => {
  test('answers at once when the group already satisfies the waiter', async () => {
    const { watch, calls } = watchWith();
    expect(await watch.wait('g', groupAt(2), 3, past(1))).toBe(2);
    expect(calls.read).toBe(0);
  });

  test('the first waiter of a group is answered by a later local write', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const answer = watch.wait('g', groupAt(0), 1, past(0));
    watch.publish('g', groupAt(1), 2);
    expect(await within(200, 'publish answers the waiter', answer)).toBe(1);
    watch.close();
  });

  test('several waiters of one group are answered by one write', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const answers = Promise.all([watch.wait('g', groupAt(0), 1, past(0)), watch.wait('g', groupAt(0), 1, past(0)), watch.wait('g', groupAt(1), 2, past(1))]);
    watch.publish('g', groupAt(1), 2);
    await sleep(10);
    watch.publish('g', groupAt(2), 3);
    expect(await within(200, 'the waiters are answered', answers)).toEqual([1, 1, 2]);
    watch.close();
  });

  test('an older version published late never undoes a newer one', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const seen: number[] = [];
    const answer = watch.wait('g', groupAt(0), 5, {
      check: (g) => {
        if (g) seen.push(g.generation);
        return g && g.generation === 7 ? 'seven' : undefined;
      },
      deadline: Date.now() + 5_000,
      onTimeout: () => 'timeout',
      onClose: () => 'closed',
    });
    watch.publish('g', groupAt(9), 4);
    watch.publish('g', groupAt(7), 6);
    expect(await within(200, 'the newer version answers', answer)).toBe('seven');
    expect(seen).toEqual([0, 7]);
    watch.close();
  });

  test('another node’s write is seen by polling, and polling stops when nobody waits', async () => {
    const { watch, stored, calls } = watchWith({ pollMs: 20 });
    const answer = watch.wait('g', groupAt(0), 1, past(0));
    await sleep(70);
    expect(calls.read).toBeGreaterThanOrEqual(2);
    stored.group = groupAt(1);
    stored.version = 2;
    expect(await within(200, 'the poll answers the waiter', answer)).toBe(1);
    const reads = calls.read;
    await sleep(80);
    expect(calls.read).toBe(reads);
  });

  test('a waiter past its deadline gets its timeout answer', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const started = Date.now();
    expect(await within(500, 'the deadline answers', watch.wait('g', groupAt(0), 1, past(0, 50)))).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  test('a transition due by time is run through tick', async () => {
    const ticks: number[] = [];
    const started = Date.now();
    const preparing = groupAt(0, { state: 'PreparingRebalance', rebalanceDeadline: started + 40 });
    // tick writes what fell due and publishes it, as the coordinator's does; the early re-reads
    // (25 ms after the wait began) find the group unchanged.
    const watch: BarrierWatch = new BarrierWatch({
      pollMs: 60_000,
      now: Date.now,
      read: async () => ({ group: preparing, version: 1 }),
      tick: async (groupId) => {
        ticks.push(Date.now());
        watch.publish(groupId, groupAt(1), 2);
      },
      onError: (err) => {
        throw err;
      },
    });
    const answers = Promise.all([watch.wait('g', preparing, 1, past(0)), watch.wait('g', preparing, 1, past(0))]);
    expect(await within(500, 'the tick answers both waiters', answers)).toEqual([1, 1]);
    // One tick for the one watch of the group, when the deadline fell due.
    expect(ticks).toHaveLength(1);
    expect(ticks[0]! - started).toBeGreaterThanOrEqual(39);
  });

  test('an aborted wait gets its timeout answer; the others keep waiting', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const abort = new AbortController();
    const aborted = watch.wait('g', groupAt(0), 1, past(0), abort.signal);
    const other = watch.wait('g', groupAt(0), 1, past(0));
    abort.abort();
    expect(await within(200, 'the abort answers', aborted)).toBe('timeout');
    watch.publish('g', groupAt(1), 2);
    expect(await within(200, 'the other waiter is answered', other)).toBe(1);
    watch.close();
  });

  test('close answers every waiter, and later waits at once', async () => {
    const { watch } = watchWith({ pollMs: 60_000 });
    const answers = Promise.all([watch.wait('g', groupAt(0), 1, past(0)), watch.wait('h', groupAt(0), 1, past(0))]);
    await sleep(5);
    watch.close();
    expect(await within(200, 'close answers the waiters', answers)).toEqual(['closed', 'closed']);
    expect(await within(200, 'a wait after close', watch.wait('g', groupAt(0), 1, past(0)))).toBe('closed');
  });

  test('a failing read is reported and retried', async () => {
    let fail = true;
    const { watch, errors, stored } = watchWith({ pollMs: 20 });
    const failing = watchWith({
      pollMs: 20,
      read: async () => {
        if (fail) throw new Error('store unavailable');
        return stored;
      },
      onError: (err) => errors.push(err),
    });
    void watch;
    const answer = failing.watch.wait('g', groupAt(0), 1, past(0));
    await sleep(60);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    fail = false;
    stored.group = groupAt(1);
    stored.version = 2;
    expect(await within(300, 'a read after the failures answers', answer)).toBe(1);
  });
});

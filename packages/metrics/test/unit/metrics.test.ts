import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedCoordinationStore } from '@floe/coordination';
import { FsObjectStore } from '@floe/object-store';
import { FloeMetrics } from '../../src/floe-metrics.ts';
import { instrumentCoordinationStore, instrumentObjectStore } from '../../src/instrumented-stores.ts';

/** The value of one sample line of the exposition, or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'floe-metrics-'));
  dirs.push(d);
  return d;
}

describe('FloeMetrics', () => {
  test('an instrumented object store counts each call by outcome, times it and counts bytes', async () => {
    const m = new FloeMetrics();
    const store = instrumentObjectStore(await FsObjectStore.open(join(scratch(), 'o')), m);
    await store.putIfAbsent('a', Buffer.alloc(100));
    await expect(store.putIfAbsent('a', Buffer.alloc(5))).rejects.toThrow();
    expect((await store.get('a', { start: 0, end: 40 })).length).toBe(40);
    await expect(store.get('missing')).rejects.toThrow();
    expect(await store.head('missing')).toBeUndefined();
    const text = (await m.scrape()).body;
    expect(sample(text, 'floe_object_store_requests_total{op="put",outcome="ok"}')).toBe(1);
    expect(sample(text, 'floe_object_store_requests_total{op="put",outcome="exists"}')).toBe(1);
    expect(sample(text, 'floe_object_store_requests_total{op="get",outcome="ok"}')).toBe(1);
    expect(sample(text, 'floe_object_store_requests_total{op="get",outcome="not-found"}')).toBe(1);
    expect(sample(text, 'floe_object_store_requests_total{op="head",outcome="ok"}')).toBe(1);
    expect(sample(text, 'floe_object_store_bytes_total{direction="out"}')).toBe(100);
    expect(sample(text, 'floe_object_store_bytes_total{direction="in"}')).toBe(40);
    expect(sample(text, 'floe_object_store_request_duration_seconds_count{op="put"}')).toBe(2);
    await store.close();
  });

  test('an instrumented coordination store counts calls and condition failures, and the billed units', async () => {
    const m = new FloeMetrics();
    const raw = await EmbeddedCoordinationStore.open(join(scratch(), 'c'));
    const store = instrumentCoordinationStore(raw, m);
    await store.put({ pk: 'p', sk: 's', version: 1 }, { absent: true });
    await expect(store.put({ pk: 'p', sk: 's', version: 2 }, { absent: true })).rejects.toThrow();
    await store.get('p', 's', { consistent: true });
    await store.query('p');
    const text = (await m.scrape()).body;
    expect(sample(text, 'floe_coordination_calls_total{op="put",outcome="ok"}')).toBe(1);
    expect(sample(text, 'floe_coordination_calls_total{op="put",outcome="condition-failed"}')).toBe(1);
    expect(sample(text, 'floe_coordination_calls_total{op="get",outcome="ok"}')).toBe(1);
    expect(sample(text, 'floe_coordination_calls_total{op="query",outcome="ok"}')).toBe(1);
    const stats = raw.stats();
    expect(sample(text, 'floe_coordination_capacity_units_total{kind="write"}')).toBe(stats.writeUnits);
    expect(sample(text, 'floe_coordination_capacity_units_total{kind="read"}')).toBe(stats.readUnits);
    // Counters only move by what was billed since the last scrape.
    await store.get('p', 's', { consistent: true });
    const again = (await m.scrape()).body;
    expect(sample(again, 'floe_coordination_capacity_units_total{kind="read"}')).toBe(raw.stats().readUnits);
    await store.close();
  });

  test('scrape-time providers: connections, cache counters (cumulative, never down), consumer lag', async () => {
    const m = new FloeMetrics();
    let cache = { hits: 3, misses: 1, bytes: 4096 };
    m.provide({
      connections: () => 7,
      cache: () => cache,
      consumerLag: async () => [{ group: 'g', topic: 't', partition: 2, lag: 42 }],
    });
    let text = (await m.scrape()).body;
    expect(sample(text, 'floe_kafka_connections')).toBe(7);
    expect(sample(text, 'floe_cache_hits_total')).toBe(3);
    expect(sample(text, 'floe_cache_misses_total')).toBe(1);
    expect(sample(text, 'floe_cache_bytes')).toBe(4096);
    expect(sample(text, 'floe_consumer_group_lag{group="g",topic="t",partition="2"}')).toBe(42);
    cache = { hits: 10, misses: 1, bytes: 0 };
    text = (await m.scrape()).body;
    expect(sample(text, 'floe_cache_hits_total')).toBe(10);
    expect(sample(text, 'floe_cache_bytes')).toBe(0);
    // Process and Node.js metrics come with it (memory, event-loop lag).
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  test('two registries never share samples (one per node in one process)', async () => {
    const a = new FloeMetrics();
    const b = new FloeMetrics();
    a.kafkaRequests.inc({ api: 'Produce', outcome: 'dispatched' });
    expect(sample((await a.scrape()).body, 'floe_kafka_requests_total{api="Produce",outcome="dispatched"}')).toBe(1);
    expect(sample((await b.scrape()).body, 'floe_kafka_requests_total{api="Produce",outcome="dispatched"}')).toBeUndefined();
  });
});

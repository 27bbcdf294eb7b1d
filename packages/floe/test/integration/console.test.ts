// The web console of a node on MinIO + DynamoDB Local, in headless Chromium (Debian's chromium
// driven by playwright-core): it loads, lists a topic created through Kafka with its partitions
// and a kcat group with its lag, browses records of a partition from an offset, and its charts
// move while Kafka's ProducerPerformance runs. A screenshot of it under load is saved
// (FLOE_CONSOLE_SCREENSHOT names the file; by default the test's scratch directory).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { javaTool, loadTestEnv, runTool } from '@floe/testkit';
import { silentLogger } from '@floe/broker';
import { startBroker, type RunningBroker } from '../../src/broker.ts';
import { loadConfig } from '../../src/config.ts';
import { clusterEnv, useClusterEnvironment } from '../support/in-process-cluster.ts';

const env = loadTestEnv();
const cluster = useClusterEnvironment('floe-console');
const TOPIC = 'console-demo';
const PARTITIONS = 3;
/** Records kcat writes to partition 0 before anything else: key-i, value-i, header source=kcat. */
const KCAT_RECORDS = 200;
/** Of those, what a kcat group reads and commits. */
const CONSUMED = 100;

/** Rows of a console table (`selector` picks the <tr>s), each as the texts of its cells. */
async function rows(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(selector, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

/** The latest values a chart drew (its data-latest attribute), or null before its first sample. */
async function latest(page: Page, chart: string): Promise<Record<string, number | null> | null> {
  const text = await page.locator(`#${chart}`).getAttribute('data-latest');
  return text === null ? null : (JSON.parse(text) as Record<string, number | null>);
}

/** Polls `check` every 250 ms until it holds; fails after `timeoutMs` saying what it waited for. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ; ) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The high watermarks the topics table shows for `topic`, by partition. */
async function highWatermarks(page: Page, topic: string): Promise<number[]> {
  return (await rows(page, `#topics tr[data-topic="${topic}"]`)).map((r) => Number(r[3]));
}

describe('the web console', () => {
  let node: RunningBroker;
  let http: string;
  let bootstrap: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!env.chromium) throw new Error('FLOE_TEST_CHROMIUM is not set: run scripts/test-env up (it installs Debian’s chromium)');
    node = await startBroker(loadConfig([], clusterEnv('floe-console', { FLOE_GROUP_INITIAL_REBALANCE_DELAY_MS: '0' }), cluster.dir()), silentLogger);
    http = `http://127.0.0.1:${node.httpPort}`;
    bootstrap = `127.0.0.1:${node.port}`;
    const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.TopicCommand', [
      '--bootstrap-server', bootstrap, '--create', '--topic', TOPIC, '--partitions', String(PARTITIONS),
    ]);
    const created = await runTool(command, args, { timeoutMs: 60_000 });
    expect(created.code).toBe(0);
    browser = await chromium.launch({ executablePath: env.chromium, args: ['--no-sandbox'], timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} (${m.location().url})`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await node?.close(2_000);
  });

  it('loads and shows the cluster, its node and the topic created through Kafka with its partitions', async () => {
    const answer = await page.goto(`${http}/`, { timeout: 20_000 });
    expect(answer?.status()).toBe(200);
    expect(await page.title()).toBe('Floe console');
    await page.waitForSelector(`#topics tr[data-topic="${TOPIC}"][data-partition="${PARTITIONS - 1}"]`);
    const topicRows = await rows(page, `#topics tr[data-topic="${TOPIC}"]`);
    // Topic, partition, log start, high watermark, records: a new topic is empty.
    expect(topicRows).toEqual([
      [TOPIC, '0', '0', '0', '0'],
      ['', '1', '0', '0', '0'],
      ['', '2', '0', '0', '0'],
    ]);
    const { clusterId } = (await (await fetch(`${http}/api/v1/cluster`)).json()) as { clusterId: string };
    expect(await page.textContent('#cluster-id')).toBe(`cluster ${clusterId}`);
    expect((await rows(page, '#nodes tbody tr')).map((r) => r[2])).toEqual([String(node.port)]);
    await page.waitForSelector('#status.ok');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('shows the offsets and a group’s lag as Kafka clients move them, and browses records from an offset', async () => {
    const input = Array.from({ length: KCAT_RECORDS }, (_, i) => `key-${i}:value-${i}`).join('\n') + '\n';
    const produced = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', TOPIC, '-p', '0', '-K:', '-H', 'source=kcat'], { timeoutMs: 30_000, input });
    expect(produced.code).toBe(0);
    const consumed = await runTool(env.kcat, ['-b', bootstrap, '-G', 'console-readers', '-c', String(CONSUMED), '-X', 'auto.offset.reset=earliest', '-q', TOPIC], { timeoutMs: 60_000 });
    expect(consumed.stdout.trim().split('\n')).toHaveLength(CONSUMED);

    // The page polls: within a few refreshes it shows the new high watermark and the group's lag.
    await until('the high watermark of partition 0', async () => (await highWatermarks(page, TOPIC))[0] === KCAT_RECORDS);
    await page.waitForSelector('#groups tr[data-group="console-readers"]', { timeout: 20_000 });
    const group = await rows(page, '#groups tr[data-group="console-readers"]');
    // Group, state, members, topic, partition, committed, high watermark, lag.
    expect(group).toEqual([['console-readers', 'Empty', '0', TOPIC, '0', String(CONSUMED), String(KCAT_RECORDS), String(KCAT_RECORDS - CONSUMED)]]);

    // The record browser: partition 0 from offset 5, ten at a time, then the next ten.
    await page.selectOption('#browse select[name=topic]', TOPIC);
    await page.fill('#browse input[name=partition]', '0');
    await page.fill('#browse input[name=offset]', '5');
    await page.fill('#browse input[name=limit]', '10');
    await page.click('#browse button[type=submit]');
    const expected = (from: number) =>
      Array.from({ length: 10 }, (_, i) => [String(from + i), `key-${from + i}`, `value-${from + i}`, 'source=kcat']);
    const shown = async () => (await rows(page, '#records tbody tr')).map((r) => [r[0], r[2], r[3], r[4]]);
    await page.waitForSelector('#records tr[data-offset="14"]');
    expect(await shown()).toEqual(expected(5));
    expect(await page.textContent('#browse-info')).toBe(`offsets 5–14 of [0, ${KCAT_RECORDS})`);
    await page.click('#next-page');
    await page.waitForSelector('#records tr[data-offset="24"]');
    expect(await shown()).toEqual(expected(15));

    // The route under it, at the edges: everything, past the end, a partition the topic lacks.
    const records = (query: string, partition = 0) => fetch(`${http}/api/v1/topics/${TOPIC}/partitions/${partition}/records?${query}`);
    const all = (await (await records('offset=0&limit=500')).json()) as { nextOffset: number; records: { offset: number; key: string; valueEncoding: string }[] };
    expect(all.records.map((r) => r.offset)).toEqual(Array.from({ length: KCAT_RECORDS }, (_, i) => i));
    expect(all.records[199]).toMatchObject({ key: 'key-199', valueEncoding: 'utf8' });
    expect(all.nextOffset).toBe(KCAT_RECORDS);
    expect(await (await records('offset=1000')).json()).toEqual({ topic: TOPIC, partition: 0, logStartOffset: 0, highWatermark: KCAT_RECORDS, nextOffset: KCAT_RECORDS, records: [] });
    expect((await records('', PARTITIONS)).status).toBe(404);
    expect((await records('limit=501')).status).toBe(400);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('its throughput and latency charts move while a producer runs; a screenshot of it under load', async () => {
    const before = await page.locator('#throughput').getAttribute('data-samples');
    // ProducerPerformance: 24,000 records of 300 bytes at 2,000 a second, about 12 s.
    const { command, args } = javaTool(env.java, env.kafkaClasspath, 'org.apache.kafka.tools.ProducerPerformance', [
      '--topic', TOPIC, '--num-records', '24000', '--record-size', '300', '--throughput', '2000',
      '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all', 'linger.ms=5',
    ]);
    const producer = runTool(command, args, { timeoutMs: 90_000 });

    // Sample the charts once a second while the producer runs, for at most 40 s.
    const seen: number[] = [];
    let p99: number | null = null;
    let shot = false;
    const screenshot = process.env.FLOE_CONSOLE_SCREENSHOT ?? join(cluster.dir(), 'console.png');
    let done = false;
    void producer.finally(() => (done = true));
    for (const deadline = Date.now() + 40_000; !done && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 1_000));
      const t = await latest(page, 'throughput');
      if (t?.produce) seen.push(t.produce);
      p99 = (await latest(page, 'latency'))?.p99 ?? p99;
      if (!shot && seen.length >= 9) {
        await page.screenshot({ path: screenshot, fullPage: true });
        shot = true;
      }
    }
    const result = await producer;
    expect(result.code).toBe(0);
    // The charts drew new samples, and the produce rate they drew was positive and changing.
    expect(Number(await page.locator('#throughput').getAttribute('data-samples'))).toBeGreaterThan(Number(before) + 5);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(new Set(seen.map((v) => Math.round(v))).size).toBeGreaterThan(1);
    // 2,000 records of ~300 bytes a second: the rate drawn is in that region (batches, headers).
    expect(Math.max(...seen)).toBeGreaterThan(100_000);
    expect(p99).not.toBeNull();
    expect(p99!).toBeGreaterThan(0);
    expect(shot).toBe(true);

    // The topic's offsets in the page catch up with what was written.
    await until('the high watermarks of every record written', async () => (await highWatermarks(page, TOPIC)).reduce((a, b) => a + b, 0) === KCAT_RECORDS + 24_000);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

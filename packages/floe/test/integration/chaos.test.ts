// A short chaos run (packages/floe/chaos, docs/reliability.md): three node processes on a private
// MinIO and DynamoDB Local behind fault proxies, two idempotent producers (Java
// VerifiableProducer, confluent-kafka) and three readers (a VerifiableConsumer group of two, a
// kcat assign reader), while every fault kind happens at least once: kill -9 and restart of a
// node, SIGSTOP past the lease, S3 and DynamoDB proxy faults of every kind, MinIO and DynamoDB
// Local killed and restarted. After healing, the checker finds no anomaly of any kind.
import { afterAll, describe, expect, it } from '@jest/globals';
import { ANOMALY_KINDS, FAULT_KINDS } from '@floe/testkit';
import { FAULT_STEPS, DYNAMODB_RULES, S3_RULES } from '../../chaos/faults.ts';
import { runChaos, summarize, type ChaosReport } from '../../chaos/run.ts';

let report: ChaosReport | undefined;

describe('chaos', () => {
  afterAll(() => {
    if (report) process.stderr.write(`chaos figures:\n${summarize(report)}\n`);
  });

  it('loses, duplicates, reorders and invents nothing under every fault kind', async () => {
    report = await runChaos({
      seed: 8,
      durationMs: 30_000,
      javaPerSecond: 150,
      pythonPerSecond: 75,
      stepMs: 6_000,
      calmMs: 2_500,
      leaseMs: 3_000,
      partitions: 6,
      log: () => undefined,
    });
    // Every fault happened.
    for (const step of FAULT_STEPS) expect(report.faultSteps[step]).toBeGreaterThanOrEqual(1);
    for (const kind of new Set(S3_RULES.map((r) => r.fault))) expect([kind, report.proxy.s3.injected[kind] > 0]).toEqual([kind, true]);
    for (const kind of new Set(DYNAMODB_RULES.map((r) => r.fault))) expect([kind, report.proxy.dynamodb.injected[kind] > 0]).toEqual([kind, true]);
    expect(FAULT_KINDS.every((k) => report!.proxy.s3.injected[k] + report!.proxy.dynamodb.injected[k] > 0)).toBe(true);
    // Records went through: acknowledged by both producers and read by the readers.
    for (const [producer, b] of Object.entries(report.byProducer)) expect([producer, b.acknowledged > b.sent / 2]).toEqual([producer, true]);
    expect(report.records.finalRead).toBeGreaterThanOrEqual(report.records.acknowledged);
    expect(report.records.readDuringRun).toBeGreaterThanOrEqual(2 * report.records.acknowledged);
    // No anomaly of any kind.
    expect(report.check.examples).toEqual(Object.fromEntries(ANOMALY_KINDS.map((k) => [k, []])));
    expect(report.anomalies).toBe(0);
    // No node logged an error: storage and table outages are answered with retriable codes,
    // never by failing a request and closing the connection.
    expect(report.nodeErrorLines).toEqual([]);
  }, 420_000);
});

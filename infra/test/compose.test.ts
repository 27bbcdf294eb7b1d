// infra/local/compose.yaml cannot run here (no Docker engine): it is parsed, and the Floe service
// is held to Floe's real settings and to the image it builds.
import { describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { TTL_ATTRIBUTE } from '@floe/coordination';
import { loadConfig, SETTINGS } from '../../packages/floe/src/config.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIR = join(ROOT, 'infra/local');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  command?: string[];
  read_only?: boolean;
}
const compose = parse(readFileSync(join(DIR, 'compose.yaml'), 'utf8')) as { services: Record<string, Service> };
const floe = compose.services.floe!;

describe('infra/local/compose.yaml', () => {
  test('has MinIO, LocalStack, a bootstrap step and Floe', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['bootstrap', 'floe', 'localstack', 'minio']);
    expect(floe.depends_on).toEqual({ bootstrap: { condition: 'service_completed_successfully' } });
  });

  test("Floe's environment names only settings Floe reads, and Floe accepts their values", () => {
    const env = floe.environment!;
    const known = new Set([...SETTINGS.map((s) => s.env), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    const config = loadConfig([], env, '/app');
    expect(config.objectStore).toMatch(/^s3:\/\//);
    expect(config.metadata).toMatch(/^dynamodb:\/\//);
    expect(config.createStorage).toBe(false);
    expect(new URL(config.s3Endpoint!).hostname).toBe('minio');
    expect(new URL(config.dynamodbEndpoint!).hostname).toBe('localstack');
    // Each listener is published on the host at the port clients are told.
    const published = floe.ports!.map((p) => p.split(':').slice(-2).join(':'));
    for (const l of [config.kafkaListen, config.httpListen, config.grpcListen]) expect(published).toContain(`${l.port}:${l.port}`);
    expect(config.advertisedListener).toEqual({ host: 'localhost', port: config.kafkaListen.port });
  });

  test('the bootstrap creates the bucket and the table Floe is pointed at, in its key schema and TTL attribute', () => {
    const config = loadConfig([], floe.environment!, '/app');
    const script = compose.services.bootstrap!.command!.join('\n');
    expect(script).toContain(`create-bucket --bucket ${new URL(config.objectStore).hostname}`);
    expect(script).toContain(`create-table --table-name ${config.metadata.slice('dynamodb://'.length)}`);
    expect(script).toContain('AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE');
    expect(script).toContain(`AttributeName=${TTL_ATTRIBUTE}`);
  });

  test('Floe is built from the repository Dockerfile and runs read-only', () => {
    expect(existsSync(join(resolve(DIR, floe.build!.context), floe.build!.dockerfile))).toBe(true);
    expect(resolve(DIR, floe.build!.context)).toBe(resolve(ROOT));
    expect(floe.read_only).toBe(true);
  });
});

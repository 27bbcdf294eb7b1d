// The cluster under test: three Floe node processes (as the integration tests start them) whose
// S3 and DynamoDB endpoints are fault proxies in front of a private MinIO and DynamoDB Local.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FaultProxy, loadTestEnv } from '@floe/testkit';
import { startNodeProcess, type NodeProcess } from '../test/support/node-process.ts';
import { privateDynamoDb, privateMinio, type StorageServer } from './storage-servers.ts';

export interface ChaosPorts {
  /** Kafka listeners of the three nodes. */
  nodes: readonly number[];
  minio: number;
  dynamodb: number;
  s3Proxy: number;
  dynamodbProxy: number;
}

/** Ports 19400-19449 belong to the chaos runs. */
export const CHAOS_PORTS: ChaosPorts = { nodes: [19401, 19402, 19403], minio: 19410, dynamodb: 19412, s3Proxy: 19420, dynamodbProxy: 19421 };

export interface ClusterOptions {
  ports: ChaosPorts;
  /** Working directory of the run (server data). */
  dir: string;
  seed: number;
  /** The nodes' lease (FLOE_NODE_LEASE_MS); a pause longer than this drops a node from the cluster. */
  leaseMs: number;
}

export class ChaosCluster {
  readonly minio: StorageServer;
  readonly dynamodb: StorageServer;
  readonly s3Proxy: FaultProxy;
  readonly dynamodbProxy: FaultProxy;
  readonly nodes: (NodeProcess | undefined)[] = [];
  readonly name: string;
  private readonly opts: ClusterOptions;
  /** Output of nodes that were killed, kept for the report when something goes wrong. */
  readonly pastOutput: string[] = [];

  constructor(opts: ClusterOptions) {
    const env = loadTestEnv();
    this.opts = opts;
    this.name = `floe-chaos-${opts.seed}-${Date.now().toString(36)}`;
    this.minio = privateMinio(opts.ports.minio, `${opts.dir}/minio`, env.accessKeyId, env.secretAccessKey);
    this.dynamodb = privateDynamoDb(env.java, opts.ports.dynamodb, `${opts.dir}/dynamodb`);
    this.s3Proxy = new FaultProxy({ upstream: `http://127.0.0.1:${opts.ports.minio}`, seed: opts.seed, port: opts.ports.s3Proxy });
    this.dynamodbProxy = new FaultProxy({ upstream: `http://127.0.0.1:${opts.ports.dynamodb}`, seed: opts.seed + 1, port: opts.ports.dynamodbProxy });
  }

  get bootstrap(): string {
    return this.opts.ports.nodes.map((p) => `127.0.0.1:${p}`).join(',');
  }

  async start(): Promise<void> {
    await Promise.all([this.minio.start(), this.dynamodb.start(), this.s3Proxy.listen(), this.dynamodbProxy.listen()]);
    // The first node creates the bucket and the table; the others join it.
    await this.startNode(0);
    await Promise.all([this.startNode(1), this.startNode(2)]);
  }

  async startNode(i: number): Promise<void> {
    const node = startNodeProcess(this.opts.ports.nodes[i]!, this.name, {
      FLOE_S3_ENDPOINT: this.s3Proxy.url,
      FLOE_DYNAMODB_ENDPOINT: this.dynamodbProxy.url,
      FLOE_NODE_ID: String(i + 1),
      FLOE_NODE_LEASE_MS: String(this.opts.leaseMs),
      FLOE_NODE_HEARTBEAT_MS: String(Math.max(200, Math.floor(this.opts.leaseMs / 5))),
    });
    this.nodes[i] = node;
    await node.ready;
  }

  /** kill -9. */
  killNode(i: number): void {
    const node = this.nodes[i];
    if (!node) return;
    node.child.kill('SIGKILL');
    this.pastOutput.push(node.output().slice(-2_000_000));
    this.nodes[i] = undefined;
  }

  signalNode(i: number, signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.nodes[i]?.child.kill(signal);
  }

  /** Every node alive and resumed, proxies clean. */
  heal(): void {
    this.s3Proxy.setRules([]);
    this.dynamodbProxy.setRules([]);
    for (let i = 0; i < this.nodes.length; i++) this.signalNode(i, 'SIGCONT');
  }

  /** Lines at level error or fatal that nodes logged (by name, as Floe's logger writes them, or pino's numbers). */
  errorLines(): string[] {
    const text = [...this.pastOutput, ...this.nodes.map((n) => n?.stdout() ?? '')].join('\n');
    return text.split('\n').filter((l) => /"level":("error"|"fatal"|50,|60,)/.test(l));
  }

  /** Every node's output, the killed ones' too, one file per node process. */
  writeLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const all = [...this.pastOutput, ...this.nodes.map((n) => n?.output() ?? '')];
    all.forEach((text, i) => writeFileSync(join(dir, `node-process-${i}.log`), text));
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.nodes.length; i++) {
      this.signalNode(i, 'SIGCONT');
      this.nodes[i]?.child.kill('SIGKILL');
    }
    await Promise.all([this.s3Proxy.close(), this.dynamodbProxy.close()]);
    await Promise.all([this.minio.kill(), this.dynamodb.kill()]);
  }
}

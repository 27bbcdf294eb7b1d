// A private MinIO and DynamoDB Local for one chaos run, on the run's own ports and directories,
// started from the binaries `scripts/test-env install` put in the cache: the runner may kill and
// restart them, which it must never do to the shared ones. DynamoDB Local keeps its table on disk
// here (-dbPath, not -inMemory), so a restart loses nothing, as a real outage would not.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE = process.env.FLOE_CACHE ?? join(homedir(), '.cache', 'floe');

export class StorageServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageServerError';
  }
}

/** Where scripts/test-env keeps MinIO and DynamoDB Local (the same pins and cache keys). */
export function storageBinaries(): { minio: string; dynamodbLib: string } {
  const script = readFileSync(join(ROOT, 'scripts/test-env'), 'utf8');
  const version = /^MINIO_VERSION=(\S+)$/m.exec(script)?.[1];
  if (!version) throw new StorageServerError('MINIO_VERSION not found in scripts/test-env');
  const pom = readFileSync(join(ROOT, 'infra/test-env/dynamodb-local/pom.xml'));
  const key = createHash('sha256').update(pom).digest('hex').slice(0, 12);
  return { minio: join(CACHE, `minio-${version}`, 'minio'), dynamodbLib: join(CACHE, `dynamodb-local-${key}`, 'lib') };
}

/** Resolves on any HTTP answer from `url` within a second; no connection is kept open. */
function answers(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      res.once('end', () => resolve());
    });
    req.once('timeout', () => req.destroy(new Error('no answer')));
    req.once('error', reject);
  });
}

/** One server process that can be killed with SIGKILL and started again on the same port and data. */
export class StorageServer {
  readonly name: string;
  readonly port: number;
  private readonly command: () => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv };
  private readonly readyUrl: string;
  private child: ChildProcess | undefined;
  private log = '';

  constructor(name: string, port: number, readyUrl: string, command: () => { cmd: string; args: string[]; env?: NodeJS.ProcessEnv }) {
    this.name = name;
    this.port = port;
    this.readyUrl = readyUrl;
    this.command = command;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    const { cmd, args, env } = this.command();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const keep = (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new StorageServerError(`${this.name} exited (${child.exitCode}): ${this.log.slice(-2000)}`);
      try {
        await answers(this.readyUrl);
        return; // any answer: it listens
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new StorageServerError(`${this.name} did not answer on ${this.readyUrl} within ${timeoutMs} ms: ${this.log.slice(-2000)}`);
  }

  /** SIGKILL to its process group; resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000))]);
  }

  output(): string {
    return this.log;
  }
}

export function privateMinio(port: number, dir: string, user: string, password: string): StorageServer {
  const { minio } = storageBinaries();
  mkdirSync(dir, { recursive: true });
  return new StorageServer('minio', port, `http://127.0.0.1:${port}/minio/health/live`, () => ({
    cmd: minio,
    args: ['server', dir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${port + 1}`, '--quiet'],
    env: { MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
  }));
}

export function privateDynamoDb(java: string, port: number, dir: string): StorageServer {
  const { dynamodbLib } = storageBinaries();
  mkdirSync(dir, { recursive: true });
  return new StorageServer('dynamodb', port, `http://127.0.0.1:${port}/`, () => ({
    cmd: java,
    args: [
      '-Xmx512m', `-Djava.library.path=${dynamodbLib}`, '-cp', `${dynamodbLib}/*`,
      'software.amazon.dynamodb.services.local.main.ServerRunner', '-sharedDb', '-dbPath', dir, '-port', String(port), '-disableTelemetry',
    ],
  }));
}

// Starts and drives log-node.ts processes for integration tests (see that file for the protocol).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./log-node.ts', import.meta.url));

export interface NodeEnv {
  [name: string]: string;
}

export class LogNodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, (v: Record<string, unknown>) => void>();
  readonly uploads: string[] = [];
  private uploadWaiters: ((key: string) => void)[] = [];
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  stderr = '';

  constructor(env: NodeEnv) {
    this.child = spawn(process.execPath, ['--conditions=floe-source', SCRIPT], {
      env: { ...process.env, ...env, NODE_OPTIONS: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    let readyResolve!: () => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      void this.exited.then((code) => reject(new Error(`node exited (${code}) before ready: ${this.stderr}`)));
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (msg.ready) readyResolve();
      else if (typeof msg.uploaded === 'string') {
        this.uploads.push(msg.uploaded);
        for (const w of this.uploadWaiters.splice(0)) w(msg.uploaded);
      } else if (typeof msg.id === 'number') {
        this.waiting.get(msg.id)?.(msg);
        this.waiting.delete(msg.id);
      }
    });
  }

  /** Sends a command; resolves with its answer (never, if the process dies first). */
  send(cmd: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const answer = new Promise<Record<string, unknown>>((resolve) => this.waiting.set(id, resolve));
    this.child.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
    return answer;
  }

  /** Resolves with the next segment key this node uploads (needs FLOE_TEST_HOLD_MS). */
  nextUpload(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no upload in time')), timeoutMs);
      this.uploadWaiters.push((k) => (clearTimeout(timer), resolve(k)));
    });
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

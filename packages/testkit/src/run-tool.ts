import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as the tool wrote it, for output that is not UTF-8 text (binary keys and values). */
  stdoutBytes: Buffer;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs a client tool to completion or until `timeoutMs`, then kills its whole process group.
 * Every test that starts a tool goes through this, so no tool outlives its test.
 */
export function runTool(
  command: string,
  args: readonly string[],
  opts: {
    timeoutMs: number;
    env?: NodeJS.ProcessEnv;
    /** Working directory (default: this process's). */
    cwd?: string;
    input?: string | Buffer;
    /** Stop the tool early (SIGTERM to its group) once this settles. */
    stopWhen?: Promise<unknown>;
  },
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...opts.env },
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal);
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, opts.timeoutMs);
    opts.stopWhen?.then(
      () => killGroup('SIGTERM'),
      () => killGroup('SIGTERM'),
    );
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({
        code,
        signal,
        timedOut,
        stdout: stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Errors of Kafka's tools and clients on stderr (infra/test-env/kafka-tools/log4j2.properties). */
export const TOOLS_LOG4J = fileURLToPath(new URL('../../../infra/test-env/kafka-tools/log4j2.properties', import.meta.url));

/**
 * The Java command line for one of Kafka's tools (`org.apache.kafka.tools.X`), logging with
 * `log4jConfig` (default: errors on stderr).
 */
export function javaTool(java: string, classpath: string, mainClass: string, args: string[], log4jConfig = TOOLS_LOG4J) {
  return {
    command: java,
    args: ['-Xmx512m', `-Dlog4j2.configurationFile=${log4jConfig}`, '-cp', classpath, mainClass, ...args],
  };
}

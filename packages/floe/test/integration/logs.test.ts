// `floe start` as its own process, its S3 secret key in the environment: stdout is JSON lines,
// a malformed request leaves a warn line with its request id, and the secret never appears.
// S3 is moto and the table DynamoDB Local, which accept any key pair, so the distinctive secret
// really signs every request the node makes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { once } from 'node:events';
import { loadTestEnv, runTool } from '@floe/testkit';
import { startNodeProcess, type NodeProcess } from '../support/node-process.ts';

const env = loadTestEnv();
const SECRET = `floe-logs-secret-${randomUUID()}`;

interface LogLine {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** A Produce v9 request whose body stops after its header: the broker cannot decode it. */
function malformedProduce(correlationId: number): Buffer {
  const header = Buffer.alloc(10);
  header.writeInt16BE(0, 0); // Produce
  header.writeInt16BE(9, 2);
  header.writeInt32BE(correlationId, 4);
  header.writeInt16BE(-1, 8); // null client id
  const body = Buffer.concat([header, Buffer.from([0x00, 0x05])]); // no tagged fields count, then junk
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe('floe start logs', () => {
  let node: NodeProcess;
  let bootstrap: string;
  let lines: LogLine[] = [];

  beforeAll(async () => {
    const run = randomUUID().slice(0, 8);
    node = startNodeProcess(0, `floe-logs-${run}`, {
      FLOE_S3_ENDPOINT: env.motoEndpoint,
      AWS_ACCESS_KEY_ID: 'floelogstest', // DynamoDB Local takes letters and digits only
      AWS_SECRET_ACCESS_KEY: SECRET,
      FLOE_AUTO_CREATE_TOPICS: 'true',
    });
    await node.ready;
    const port = /"msg":"floe: Kafka listener on 127\.0\.0\.1:(\d+)"/.exec(node.stdout())?.[1];
    bootstrap = `127.0.0.1:${port}`;
  }, 60_000);

  afterAll(() => {
    if (node.child.exitCode === null) node.child.kill('SIGKILL');
  });

  it('produces and fetches with kcat, is sent a malformed request, and stops on SIGTERM', async () => {
    const produced = await runTool(env.kcat, ['-b', bootstrap, '-P', '-t', 'logged', '-K:'], { timeoutMs: 30_000, input: 'k1:v1\nk2:v2\nk3:v3\n' });
    expect(produced.code).toBe(0);
    const consumed = await runTool(env.kcat, ['-b', bootstrap, '-C', '-t', 'logged', '-o', 'beginning', '-e', '-q', '-f', '%k=%s\\n'], { timeoutMs: 30_000 });
    expect(consumed.stdout.trim().split('\n')).toEqual(['k1=v1', 'k2=v2', 'k3=v3']);

    const socket = connect({ host: '127.0.0.1', port: Number(bootstrap.split(':')[1]) });
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write(malformedProduce(4242));
    socket.resume();
    await Promise.race([once(socket, 'close'), new Promise((r) => setTimeout(r, 10_000).unref())]);
    socket.destroy();

    node.child.kill('SIGTERM');
    const [code] = (await Promise.race([once(node.child, 'exit'), new Promise((r) => setTimeout(() => r([null]), 40_000).unref())])) as [number | null];
    expect(code).toBe(0);
    const text = node.stdout();
    expect(text.endsWith('\n')).toBe(true);
    lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as LogLine);
  }, 120_000);

  it('writes only JSON lines on stdout, each with a level name, an ISO time and a message', () => {
    expect(lines.length).toBeGreaterThan(5);
    for (const l of lines) {
      expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(l.level);
      expect(new Date(l.time).toISOString()).toBe(l.time);
      expect(typeof l.msg).toBe('string');
    }
    // Info is the default level: no line per answered request.
    expect(lines.filter((l) => l.level === 'debug' || l.msg === 'request handled')).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['floe: configuration', 'floe: draining and stopping', 'cluster membership: left']));
  });

  it('logs the malformed request at warn with its request id, connection id and peer', () => {
    const bad = lines.filter((l) => l.level === 'warn' && /malformed request/.test(l.msg));
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ requestId: `${bad[0]!.connectionId}-4242`, correlationId: 4242, api: 'Produce', apiVersion: 9, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
  });

  it('never writes the secret key, and prints the configuration with it masked', () => {
    expect(node.output()).not.toContain(SECRET);
    const config = lines.find((l) => l.msg === 'floe: configuration')!;
    expect(config.environment).toMatchObject({ AWS_SECRET_ACCESS_KEY: '[redacted]', FLOE_S3_ENDPOINT: env.motoEndpoint });
  });
});

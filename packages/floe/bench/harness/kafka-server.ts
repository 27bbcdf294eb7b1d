// Apache Kafka 4.3.1 as one KRaft node (broker and controller in one process), from the jars
// scripts/bench resolves from Maven Central (infra/bench/kafka-server/pom.xml): formatted into a
// fresh temporary directory, started with kafka.Kafka as Kafka's own start script would (1 GiB
// heap, G1), stopped and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from '@floe/testkit';

export class KafkaServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KafkaServerError';
  }
}

/** The JVM flags of Kafka's kafka-server-start.sh and kafka-run-class.sh. */
const JVM_FLAGS = ['-Xmx1G', '-Xms1G', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-Djava.awt.headless=true'];

/** Logs only what says the server is up, warnings and errors (the file is kept for a failure). */
const LOG4J2 = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
`;

const STARTED = /Kafka Server started/;

export interface KafkaServer {
  bootstrap: string;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export async function startKafkaServer(opts: { java: string; libDir: string; port: number; controllerPort: number; startTimeoutMs?: number }): Promise<KafkaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'floe-bench-kafka-'));
  const classpath = `${opts.libDir}/*`;
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `listeners=PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${opts.port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `controller.quorum.bootstrap.servers=127.0.0.1:${opts.controllerPort}`,
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'log4j2.properties'), LOG4J2);
  const log4j = `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`;
  // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding.
  const clusterId = randomBytes(16).toString('base64url');
  const format = await runTool(opts.java, [log4j, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', props], { timeoutMs: 60_000 });
  if (format.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new KafkaServerError(`StorageTool format failed (${format.code}): ${format.stderr}${format.stdout}`);
  }
  const child: ChildProcess = spawn(opts.java, [...JVM_FLAGS, log4j, '-cp', classpath, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new KafkaServerError(`Kafka did not start within ${opts.startTimeoutMs ?? 90_000} ms:\n${out.slice(-3000)}`)), opts.startTimeoutMs ?? 90_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (STARTED.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new KafkaServerError(`Kafka exited (${code}) before it started:\n${out.slice(-3000)}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { bootstrap: `127.0.0.1:${opts.port}`, pid: child.pid!, output: () => out, stop };
}

#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ACL_USAGE } from './acl-cli-args.ts';
import { runAclCommand } from './acl-cli.ts';
import { ADMIN_USAGE, runAdminCommand } from './admin-cli.ts';
import { startBroker } from './broker.ts';
import { DATA_USAGE, runDataCommand } from './data-cli.ts';
import { ConfigError, helpText, loadConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { maskSecrets, relevantEnvironment } from './secrets.ts';
import { USER_USAGE, runUserCommand } from './user-cli.ts';

const fmt = (hp: { host: string; port: number }) => `${hp.host}:${hp.port}`;

async function start(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return 0;
  }
  const config = loadConfig(argv, process.env, process.cwd());
  const logger = createLogger(config);
  // What this node runs with, secrets masked (docs/observability.md).
  logger.info({ config: maskSecrets(config), environment: relevantEnvironment(process.env) }, 'floe: configuration');
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker(config, logger);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    logger.fatal({ err }, 'floe: could not start');
    return 1;
  }
  logger.info(
    { objectStore: config.objectStore, metadata: config.metadata, autoCreateTopics: config.autoCreateTopics },
    `floe: Kafka listener on ${fmt({ host: config.kafkaListen.host, port: broker.port })}`,
  );
  logger.info({}, `floe: HTTP listener on ${fmt({ host: config.httpListen.host, port: broker.httpPort })} (/healthz, /readyz, /metrics, /api/v1)`);
  logger.info({}, `floe: gRPC listener on ${fmt({ host: config.grpcListen.host, port: broker.grpcPort })} (floe.v1.Records, floe.v1.Admin)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'floe: draining and stopping');
      broker.close().then(resolve, (err: unknown) => {
        logger.error({ err }, 'floe: error while stopping');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/**
 * `floe bench`: the benchmark harness (packages/floe/bench/harness, run from source as
 * scripts/bench does); it needs a source checkout and the test environment.
 */
async function bench(argv: string[]): Promise<number> {
  const harness = fileURLToPath(new URL('../bench/harness/main.ts', import.meta.url));
  if (!existsSync(harness)) {
    console.error(`floe bench: the harness is not here (${harness}): it runs from a source checkout (scripts/bench)`);
    return 2;
  }
  const child = spawn(process.execPath, ['--conditions=floe-source', harness, ...argv], { stdio: 'inherit' });
  return await new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'start') return await start(rest);
    if (command === 'bench') return await bench(rest);
    if (command === 'topic' || command === 'group') {
      return await runAdminCommand(argv, { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env });
    }
    if (command === 'user') {
      return await runUserCommand(argv, { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, cwd: process.cwd() });
    }
    if (command === 'acl') {
      return await runAclCommand(argv, { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env, cwd: process.cwd() });
    }
    if (command === 'produce' || command === 'consume') {
      const interrupted = new AbortController();
      process.once('SIGINT', () => interrupted.abort());
      return await runDataCommand(command, rest, {
        out: (l) => console.log(l),
        err: (t) => process.stderr.write(t),
        env: process.env,
        stdin: process.stdin,
        progress: process.stderr.isTTY === true,
        signal: interrupted.signal,
      });
    }
    console.error(`usage: floe start [options]   (floe start --help)\n       floe bench [options]   (floe bench --help)\n${ADMIN_USAGE}\n${DATA_USAGE}\n${USER_USAGE}\n${ACL_USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`floe: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));

#!/usr/bin/env node
import { ConfigError, helpText, loadConfig } from './config.ts';

const fmt = (hp: { host: string; port: number }) => `${hp.host}:${hp.port}`;

function start(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(helpText());
    return 0;
  }
  const config = loadConfig(argv, process.env, process.cwd());
  console.log(`floe: object store ${config.objectStore}`);
  console.log(`floe: metadata     ${config.metadata}`);
  console.log(`floe: kafka ${fmt(config.kafkaListen)}, http ${fmt(config.httpListen)}, grpc ${fmt(config.grpcListen)}`);
  // The broker (Kafka listener, storage core) is not part of this build yet; say so instead of
  // pretending to serve.
  console.error(
    'floe: this build has the Kafka protocol codec and the test environment, but no broker yet: ' +
      'nothing is served. The broker replaces this message when it lands.',
  );
  return 1;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    if (command === 'start') return start(rest);
    console.error('usage: floe start [options]   (floe start --help)');
    return 2;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`floe: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));

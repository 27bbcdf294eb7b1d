// Starts the container test environment, appends its endpoints to the env file that
// `scripts/test-env install` wrote for the clients, and keeps the containers until SIGTERM.
import { appendFileSync } from 'node:fs';
import { startContainerEnv } from './containers.ts';

const envFile = process.argv[2];
if (!envFile) {
  console.error('usage: containers-main.ts ENV_FILE');
  process.exit(2);
}
const env = await startContainerEnv();
appendFileSync(
  envFile,
  Object.entries(env.vars)
    .map(([k, v]) => `export ${k}=${v}\n`)
    .join('') + 'export FLOE_TEST_CONTAINERS_READY=1\n',
);
console.error('testcontainers: MinIO and LocalStack are up');
const shutdown = () => void env.stop().finally(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
setInterval(() => {}, 1 << 30);

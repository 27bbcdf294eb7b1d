import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the real servers and client tools of `scripts/test-env up` are. */
export interface TestEnv {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  motoEndpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  java: string;
  kafkaClasspath: string;
  kcat: string;
  python: string;
  franz: string;
  /** Debian's chromium, for the web console's test; absent in an environment set up before it. */
  chromium?: string;
  /** helm, kubernetes-validate and cfn-lint, for the checks of deploy/ and infra/. */
  helm?: string;
  kubernetesValidate?: string;
  cfnLint?: string;
}

const KEYS = {
  s3Endpoint: 'FLOE_TEST_S3_ENDPOINT',
  dynamodbEndpoint: 'FLOE_TEST_DYNAMODB_ENDPOINT',
  motoEndpoint: 'FLOE_TEST_MOTO_ENDPOINT',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
  region: 'AWS_REGION',
  java: 'FLOE_TEST_JAVA',
  kafkaClasspath: 'FLOE_TEST_KAFKA_CLASSPATH',
  kcat: 'FLOE_TEST_KCAT',
  python: 'FLOE_TEST_PYTHON',
  franz: 'FLOE_TEST_FRANZ',
} as const satisfies Record<Exclude<keyof TestEnv, keyof typeof OPTIONAL_KEYS>, string>;
/** Variables the environment may lack without failing every test. */
const OPTIONAL_KEYS = {
  chromium: 'FLOE_TEST_CHROMIUM',
  helm: 'FLOE_TEST_HELM',
  kubernetesValidate: 'FLOE_TEST_KUBERNETES_VALIDATE',
  cfnLint: 'FLOE_TEST_CFN_LINT',
} as const satisfies Record<'chromium' | 'helm' | 'kubernetesValidate' | 'cfnLint', string>;

/** Parses the `export NAME=value` lines that `scripts/test-env` prints. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return out;
}

function defaultEnvFile(): string {
  const cache = process.env.FLOE_CACHE ?? join(homedir(), '.cache', 'floe');
  return process.env.FLOE_TEST_ENV_FILE ?? join(cache, 'test-env', 'env');
}

/**
 * The test environment, from the process environment or else from the file `scripts/test-env up`
 * writes. Throws with the command to run when the environment is not up: integration tests fail
 * loudly instead of skipping.
 */
export function loadTestEnv(): TestEnv {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnvFile(readFileSync(defaultEnvFile(), 'utf8'));
  } catch {
    // fall through: the process environment may hold everything
  }
  const missing: string[] = [];
  const env = {} as TestEnv;
  for (const [field, name] of Object.entries(KEYS) as [keyof typeof KEYS, string][]) {
    const value = process.env[name] ?? fromFile[name];
    if (value === undefined || value === '') missing.push(name);
    else env[field] = value;
  }
  for (const [field, name] of Object.entries(OPTIONAL_KEYS) as [keyof typeof OPTIONAL_KEYS, string][]) {
    const value = process.env[name] ?? fromFile[name];
    if (value !== undefined && value !== '') env[field] = value;
  }
  if (missing.length > 0) {
    throw new Error(
      `test environment is not up (missing ${missing.join(', ')}): run scripts/test-env up`,
    );
  }
  return env;
}

// The command-line tools the checks of deploy/ and infra/ run, as scripts/test-env installs them.
// A missing tool fails the test with the command that installs it: nothing is skipped.
import { existsSync } from 'node:fs';
import { loadTestEnv } from '@floe/testkit';

const VARIABLES = {
  helm: 'FLOE_TEST_HELM',
  kubernetesValidate: 'FLOE_TEST_KUBERNETES_VALIDATE',
  cfnLint: 'FLOE_TEST_CFN_LINT',
} as const;

export type DeployTool = keyof typeof VARIABLES;

export function deployTool(tool: DeployTool): string {
  const variable = VARIABLES[tool];
  let path = process.env[variable];
  if (!path) {
    try {
      path = loadTestEnv()[tool];
    } catch {
      // the servers need not be up for these tools: the message below says what to do
    }
  }
  if (!path || !existsSync(path)) {
    throw new Error(
      `${tool} is not installed (${variable} ${path ? `names ${path}, which does not exist` : 'is not set'}): ` +
        'run scripts/test-env install, then eval "$(scripts/test-env clients-env)"',
    );
  }
  return path;
}

/** The Kubernetes version the chart is rendered for and validated against (its minimum is 1.30). */
export const KUBERNETES_VERSION = '1.33.0';

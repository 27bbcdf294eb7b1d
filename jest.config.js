// Projects so the fast tests can run alone: `npm run test:unit`.
// Tests run as native ES modules (node --experimental-vm-modules), transformed by swc.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  // Workspace packages resolve to their sources, so tests never need a build first.
  moduleNameMapper: { '^@floe/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts' },
  testEnvironment: 'node',
};

export default {
  // Per-test limit; integration tests talk to real servers and real client tools.
  testTimeout: 60_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/packages/*/test/integration/**/*.test.ts'],
      slowTestThreshold: 30,
    },
    {
      // The container image, the Helm chart and infrastructure code, checked with their own tools
      // (helm, kubernetes-validate, cfn-lint) and, for the image's command, MinIO + DynamoDB Local.
      ...common,
      displayName: 'deploy',
      testMatch: ['<rootDir>/deploy/test/**/*.test.ts', '<rootDir>/infra/test/**/*.test.ts'],
      slowTestThreshold: 30,
    },
  ],
};

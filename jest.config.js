/**
 * Tests run TypeScript through ts-jest in isolatedModules mode (type checking is `tsc --noEmit`, a step of its own),
 * in four tiers that also run alone (`npm run test:unit`, `test:template`, `test:offline`, `test:soak`):
 * - unit: pure logic and steps over fakes, in seconds;
 * - template: the synthesized stacks (CDK synth, bundling, IAM and cdk-nag checks);
 * - offline: adapters, the agent, the CLI and end to end, on the offline cloud, and the offline cloud's own tests;
 * - soak: runs of many AWS hours on a fast cloud clock, which need the machine to themselves (a real second of
 *   contention is minutes of cloud time): `npm test` runs them after the others, alone.
 * The tier-times reporter prints each tier's suites and time at the end of a run.
 */
const TIERS = {
  unit: ['test/core', 'test/steps', 'test/arch', 'test/docs', 'test/doctor'],
  template: ['test/lib'],
  offline: ['test/agent', 'test/aws', 'test/cli', 'test/export', 'test/chaos', 'test/bench', 'test/e2e', 'packages/offline-cloud/test'],
  soak: ['test/soak'],
};

const project = (displayName, roots) => ({
  displayName,
  testEnvironment: 'node',
  roots: roots.map((r) => `<rootDir>/${r}`),
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/packages/offline-cloud/test/setup-env.ts'],
});

module.exports = {
  projects: Object.entries(TIERS).map(([name, roots]) => project(name, roots)),
  reporters: ['default', '<rootDir>/test/helpers/tier-times-reporter.js'],
  testTimeout: 120000,
  maxWorkers: 2,
};

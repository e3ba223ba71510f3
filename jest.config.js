/**
 * Tests run TypeScript through ts-jest in isolatedModules mode (type checking is `tsc --noEmit`, a step of its own):
 * the product's (test/) and the offline cloud's (packages/offline-cloud/test/), with the same dummy-credential setup.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages/offline-cloud/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/packages/offline-cloud/test/setup-env.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};

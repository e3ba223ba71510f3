/** Tests run TypeScript through ts-jest in isolatedModules mode (type checking is `tsc --noEmit`, a step of its own). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 120000,
  maxWorkers: 2,
};

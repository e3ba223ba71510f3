/** Every test file runs in exactly one tier (jest.config.js projects): a new test folder outside them would never run. */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const config = require(path.join(ROOT, 'jest.config.js')) as { projects: Array<{ displayName: string; roots: string[] }> };

function testFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts') && !f.split(path.sep).includes('node_modules'))
    .map((f) => path.join(dir, f));
}

test('each test file is in the roots of exactly one tier', () => {
  const roots = config.projects.flatMap((p) => p.roots.map((r) => ({ tier: p.displayName, root: r.replace('<rootDir>/', '') })));
  const files = [...testFiles('test'), ...testFiles('packages/offline-cloud/test')];
  expect(files.length).toBeGreaterThan(100);
  const misplaced = files
    .map((f) => ({ f, tiers: roots.filter((r) => f.startsWith(r.root + path.sep)).map((r) => r.tier) }))
    .filter(({ tiers }) => tiers.length !== 1)
    .map(({ f, tiers }) => `${f}: ${tiers.length === 0 ? 'in no tier' : `in ${tiers.join(' and ')}`}`);
  expect(misplaced).toEqual([]);
  expect(config.projects.map((p) => p.displayName)).toEqual(['unit', 'template', 'offline', 'soak']);
});

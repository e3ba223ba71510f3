/** docs/config.md's key table is generated from the schema; this fails when someone changes one without the other. */
import fs from 'node:fs';
import path from 'node:path';
import { configReference, withReference } from '../../lib/config-reference';

const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/config.md'), 'utf8');

it('docs/config.md carries the reference generated from the current schema (run `npm run docs:config`)', () => {
  expect(withReference(doc)).toBe(doc);
});

it('the generated reference lists the fixed keys with their defaults', () => {
  const table = configReference();
  for (const row of ['| `siteId` |', '| `vpgs[i].name` |', '| `vpgs[i].instances.tags` |', '| `vpgs[i].instances.ids` |']) expect(table).toContain(row);
  expect(table).toMatch(/\| `vpgs\[i\]\.syncIntervalMinutes` \| integer \(≥ 5, ≤ 1440\) \| `15` \|/);
  expect(table).toMatch(/\| `vpgs\[i\]\.journalHours` \| number \(≥ 1, ≤ 8760\) \| `24` \|/);
});

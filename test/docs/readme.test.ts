/** The README's copies of facts that live in code stay equal to the code. */
import fs from 'node:fs';
import path from 'node:path';
import { ZERTO_TAG_TABLE } from '../../runtime/core/tags';

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

const ROLE_NAMES: Record<string, string> = { zimporter: 'ZImporter', zasa: 'zASA', zsat: 'zSAT', 'recovered-vm': 'recovered VM' };
const KIND_NAMES: Record<string, string> = {
  instance: 'instance',
  volume: 'volume',
  'network-interface': 'NIC',
  'security-group': 'security group',
  image: 'image',
};

it('the README tag table is the code tag table', () => {
  const block = readme.split('<!-- tag-table:start -->')[1]?.split('<!-- tag-table:end -->')[0] ?? '';
  const rows = block.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| resource') && !l.startsWith('| ---'));
  const documented = new Map(rows.map((r) => r.split('|').map((c) => c.trim())).map((c) => [c[1].replace(/ \(.*\)$/, ''), c[2]]));
  const expected = new Map<string, string>();
  for (const [key, value] of Object.entries(ZERTO_TAG_TABLE)) {
    const [role, kind] = key.split('/');
    if (role === 'site') expected.set(kind === 'bucket' ? 'S3 bucket' : 'launch templates', value);
    else if (role === 'sync-snapshot') expected.set('sync snapshots', value);
    else expected.set(`${ROLE_NAMES[role]} ${KIND_NAMES[kind]}`, value);
  }
  expect(documented).toEqual(expected);
});

it('the README starts with the set-up a new user runs', () => {
  const firstBlock = readme.split('```')[1];
  expect(firstBlock).toContain('npm ci && npm start');
  expect(firstBlock).toContain('npm test');
});

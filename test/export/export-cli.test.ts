/** `lifeboat export` usage errors exit 2 before touching any cloud (the e2e journal test covers a real export). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');
let dir: string;
let configPath: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lifeboat-export-cli-'));
  configPath = path.join(dir, 'lifeboat.config.json');
  writeFileSync(configPath, JSON.stringify({ siteId: 'cli', vpgs: [{ name: 'app', instances: { tags: { app: 'x' } } }] }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function lifeboat(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // no endpoint on purpose: none of these may reach a cloud
  const env = { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' };
  try {
    const out = await run(process.execPath, [LIFEBOAT, ...args], { env });
    return { code: 0, ...out };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('lifeboat export: bad usage exits 2', () => {
  it('an unknown format', async () => {
    const r = await lifeboat(['export', 'app', '--volume', 'vol-1', '--format', 'vmdk', '-o', path.join(dir, 'a.img'), '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format.*vmdk.*raw, qcow2/s);
  });

  it('no -o', async () => {
    const r = await lifeboat(['export', 'app', '--volume', 'vol-1', '--format', 'raw', '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-o, --output <file>.*not specified/);
  });

  it('no --volume', async () => {
    const r = await lifeboat(['export', 'app', '--format', 'raw', '-o', path.join(dir, 'a.img'), '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--volume <id>.*not specified/);
  });

  it('an unknown VPG, naming the ones the config defines', async () => {
    const r = await lifeboat(['export', 'nope', '--volume', 'vol-1', '--format', 'raw', '-o', path.join(dir, 'a.img'), '--config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown VPG 'nope'; the config defines: app/);
  });
});

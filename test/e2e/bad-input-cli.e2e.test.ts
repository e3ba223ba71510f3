/**
 * Bad CLI usage, as a person meets it: the real `lifeboat` command as a child process. Usage errors exit 2
 * with a message naming the problem; a bad config exits non-zero naming the file, the key and the fix.
 * None of these reach a cloud (no endpoint is even set), so none can change anything.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');
const env = { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }; // a closed port: any AWS call would fail loudly

async function lifeboat(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await run(process.execPath, [LIFEBOAT, ...args], { env });
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bad-input-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('bad CLI usage exits 2 with a message', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['sync'], /missing required argument 'vpg'/],
    [['sync', 'app', '--interval', '5'], /unknown option '--interval'/],
  ])('lifeboat %j', async (args, message) => {
    const r = await lifeboat(...args);
    expect({ code: r.code, message: message.test(r.stderr) }).toEqual({ code: 2, message: true });
  });
});

describe('a bad config file is refused before anything runs', () => {
  it('names the missing file', async () => {
    const r = await lifeboat('sync', 'app', '--config', path.join(dir, 'nope.json'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nope\.json: \(root\): cannot read the file/);
  });

  it('names the missing key and what it must be', async () => {
    const file = path.join(dir, 'no-vpgs.json');
    fs.writeFileSync(file, JSON.stringify({ siteId: 'site-a' }));
    const r = await lifeboat('sync', 'app', '--config', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no-vpgs\.json: vpgs: is missing; it must be an array of VPGs/);
  });

  it('names an unknown key with the fix', async () => {
    const file = path.join(dir, 'colour.json');
    fs.writeFileSync(file, JSON.stringify({ siteId: 'site-a', vpgs: [{ name: 'app', instances: { tags: { app: 'a' } } }], colour: 'blue' }));
    const r = await lifeboat('sync', 'app', '--config', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/colour: is not a known key; remove it or check its spelling/);
  });

  it('lifeboat doctor refuses a bad config as bad usage (exit 2), so exit 1 keeps meaning a blocked sync', async () => {
    const file = path.join(dir, 'doctor-no-vpgs.json');
    fs.writeFileSync(file, JSON.stringify({ siteId: 'site-a' }));
    const r = await lifeboat('doctor', '--config', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/doctor-no-vpgs\.json: vpgs: is missing; it must be an array of VPGs/);
  });

  it('names a duplicate VPG', async () => {
    const file = path.join(dir, 'dupes.json');
    const vpg = { name: 'app', instances: { tags: { app: 'a' } } };
    fs.writeFileSync(file, JSON.stringify({ siteId: 'site-a', vpgs: [vpg, vpg] }));
    const r = await lifeboat('sync', 'app', '--config', file);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/vpgs\[1\]/);
    expect(r.stderr).toMatch(/app/);
  });
});

/**
 * `lifeboat status` end to end on the offline cloud: a site with one VPG synced once and one whose sync fails
 * (it protects nothing), read through the real CLI from the config, as JSON and as a table, with its exit codes.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { createProtectedInstance, seededBytes, writeVolume } from '../../bin/demo/workload';
import { runSync } from '../../bin/demo/run-sync';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import type { VpgStatusRow } from '../../bin/status/status-model';
import { deployTestSite, type TestSite } from '../helpers/site';

const SITE = 'e2e-status';
const config = {
  siteId: SITE,
  vpgs: [
    { name: 'app', instances: { tags: { app: 'status-app' } }, syncIntervalMinutes: 30, journalHours: 24 },
    { name: 'ghost', instances: { tags: { app: 'nothing-has-this' } }, syncIntervalMinutes: 60, journalHours: 24 },
  ],
  pollSeconds: 5,
  alerts: { rpoAlarmMultiple: 3 },
};
const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');

let site: TestSite;
let checkpointId = '';
let checkpointAt = 0;

async function status(args: string[], configPath = site.configPath): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ENDPOINT_URL: site.url, NO_COLOR: '' };
  try {
    const out = await run(process.execPath, [LIFEBOAT, 'status', ...args, '--config', configPath], { env });
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  site = await deployTestSite(config);
  const vm = await createProtectedInstance(site.ec2, { tags: { app: 'status-app' }, volumeSizesGiB: [1] });
  await writeVolume(site.url, vm.volumes[0].volumeId, 0, seededBytes('status', 4 * BLOCK_SIZE));
  const sync = await runSync(site.sfn, site.syncArn('app'), 'status sync');
  checkpointId = sync.checkpointId;
  const cp = await (await site.store('app')).getCheckpoint('app', checkpointId);
  checkpointAt = Date.parse(cp!.createdAt);
  const ghost = await startExecution(site.sfn, site.syncArn('ghost'), {}, 'ghost');
  expect((await waitForExecution(site.sfn, ghost, { label: 'ghost', pollMs: 200 })).status).toBe('FAILED');
}, 240_000);

afterAll(async () => site?.stop());

describe('lifeboat status on a deployed site', () => {
  it('--json: one object per VPG with its checkpoint, RPO, target, running executions and last sync; exit 1 (ghost never synced)', async () => {
    const before = Date.now();
    const out = await status(['--json']);
    expect(out.code).toBe(1);
    const rows = JSON.parse(out.stdout) as VpgStatusRow[];
    expect(rows.map((r) => r.vpg)).toEqual(['app', 'ghost']);
    const [app, ghost] = rows;
    expect(Object.keys(app).sort()).toEqual(
      [
        'alarmSeconds',
        'departed',
        'lastCheckpointAt',
        'lastCheckpointId',
        'lastSync',
        'lease',
        'problems',
        'rpoSeconds',
        'runningExecutions',
        'status',
        'storeProblems',
        'targetSeconds',
        'vpg',
      ].sort(),
    );
    // the last sync released its lease: free, with the token it reached
    expect(app.lease).toMatchObject({ holder: null, kind: null });
    expect(app.departed).toEqual([]);
    expect(app).toMatchObject({ lastCheckpointId: checkpointId, targetSeconds: 1800, alarmSeconds: 5400, status: 'ok', problems: [] });
    // second precision: the checkpoint id carries its time
    expect(Math.abs(Date.parse(app.lastCheckpointAt!) - checkpointAt)).toBeLessThan(1000);
    expect(app.rpoSeconds).toBeGreaterThanOrEqual(Math.floor((before - checkpointAt) / 1000) - 1);
    expect(app.rpoSeconds).toBeLessThanOrEqual(Math.ceil((Date.now() - checkpointAt) / 1000) + 1);
    expect(app.lastSync).toMatchObject({ status: 'SUCCEEDED', cause: null });
    expect(app.runningExecutions.sync).toBe(0);

    expect(ghost).toMatchObject({
      lastCheckpointId: null,
      lastCheckpointAt: null,
      rpoSeconds: null,
      status: 'never',
      targetSeconds: 3600,
      alarmSeconds: 10800,
    });
    expect(ghost.lastSync?.status).toBe('FAILED');
    expect(ghost.lastSync?.cause).toMatch(/protects no EBS volume/);
    expect(ghost.runningExecutions.sync).toBe(0);
  });

  it('exit 0 when every VPG of the config is within its threshold (2 for a bad config); the table has no colour when not a terminal', async () => {
    const onlyApp = path.join(site.workDir, 'only-app.json');
    fs.writeFileSync(onlyApp, JSON.stringify({ ...config, vpgs: [config.vpgs[0]] }));
    const out = await status([], onlyApp);
    expect(out.code).toBe(0);
    expect(out.stdout).not.toContain('\x1b[');
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VPG\s+STATUS\s+RPO/);
    expect(lines[1]).toMatch(new RegExp(`^app\\s+ok\\s+\\S+\\s+30m00s\\s+1h30m\\s+${checkpointId}\\s`));
    expect(lines).toHaveLength(2);

    const broken = path.join(site.workDir, 'broken.json');
    fs.writeFileSync(broken, JSON.stringify({ siteId: SITE, vpgs: [] }));
    const bad = await status([], broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/vpgs/);
  });
});

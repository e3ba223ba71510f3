/**
 * A first sync that reads for hours, on the faithful cloud with Step Functions' 25,000-event history quota
 * enforced (packages/offline-cloud/src/sfn/quotas.ts): the sync hands over to new executions of itself
 * (runtime/core/sync/continue.ts) before any history reaches the quota, keeps the VPG's lease across the
 * hand-overs (a sync started meanwhile is skipped), and commits one checkpoint that restores byte for byte.
 *
 * The hours are the cloud clock's: the zSATs' volumes hydrate from their snapshots at a rate lowered so that
 * 8 MiB take hours (the rule is the same, only reached sooner: DeployOptions.limits), and once every agent
 * reads, the clock runs 100 times faster than real time.
 */
import { DescribeInstancesCommand, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { EVENTS_PER_ZSAT_POLL, HISTORY_EVENT_QUOTA, zsatPollBudget } from '../../runtime/core/sync/history-budget';
import { SYNC_STATE } from '../../runtime/core/sync/contract';
import { TAG } from '../../runtime/core/tags';
import { createProtectedInstance, seededBytes, writeVolume, type ProtectedInstance } from '../../bin/demo/workload';
import { runSync } from '../../bin/demo/run-sync';
import { executionHistory } from '../../bin/demo/inventory';
import { startExecution, waitForExecution } from '../../bin/commands/executions';
import { deployTestSite, type TestSite } from '../helpers/site';
import { expectOnlyBaseSnapshotsLeft, expectStoreReproduces, volumeImages } from '../helpers/store-checks';

const SITE = 'long';
const VPG = 'big';
const VOLUMES = 6;
/** Written every other block: each is a run of its own, so an agent's progress moves block by block as they hydrate. */
const BLOCKS_PER_VOLUME = 16;
const VOLUME_MIB = (BLOCKS_PER_VOLUME * BLOCK_SIZE) / 2 ** 20;
/** How long each zSAT's volume takes to hydrate, in AWS seconds: longer than one execution's share of history. */
const HYDRATION_SECONDS = 8 * 3600;
/** Boot (dnf, Node.js, the agent) at a scale it keeps up with; the hours of reading at this one. */
const BOOT_TIME_SCALE = 10;
const READ_TIME_SCALE = 100;

const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'long-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  // one zSAT per volume, all at once: the six share each execution's history
  agent: { volumesPerZsat: 1, maxZsats: VOLUMES },
  pollSeconds: 5,
  // Generous: on two busy cores at 100 times real speed, a heartbeat write can lag minutes of cloud time.
  heartbeatTimeoutSeconds: 3600,
};

let site: TestSite;
let app: ProtectedInstance;
beforeAll(async () => {
  site = await deployTestSite(config, {
    timeScale: BOOT_TIME_SCALE,
    // Wait states at their written AWS durations on the cloud clock, so the histories are AWS's
    waitScale: 1,
    // the protected t3.micro (2) and six c6i.large zSATs (2 each)
    vcpuQuota: 2 + 2 * VOLUMES,
    limits: { defaultInitializationMiBps: VOLUME_MIB / HYDRATION_SECONDS },
  });
  app = await createProtectedInstance(site.ec2, { tags: { app: 'long-app' }, volumeSizesGiB: Array(VOLUMES).fill(1) });
  for (const v of app.volumes) {
    for (let b = 0; b < BLOCKS_PER_VOLUME; b++) await writeVolume(site.url, v.volumeId, 2 * b * BLOCK_SIZE, seededBytes(`long-${v.volumeId}-${b}`, BLOCK_SIZE));
  }
}, 180_000);
afterAll(async () => site?.stop());

/** The zSATs' console output (each agent writes one line per step, runtime/agent): only running ones, or all. */
async function zsatConsoles(states = ['running']): Promise<string[]> {
  const d = await site.ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${TAG.owner}`, Values: [SITE] },
        { Name: `tag:${TAG.role}`, Values: ['zsat'] },
        { Name: 'instance-state-name', Values: states },
      ],
    }),
  );
  const ids = (d.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
  return Promise.all(
    ids.map(async (id) => `${id}:\n${Buffer.from((await site.ec2.send(new GetConsoleOutputCommand({ InstanceId: id }))).Output ?? '', 'base64').toString()}`),
  );
}

/** Polls until `probe` holds; once the sync has ended first, its outcome (a failure's cause) is the error. */
async function until(what: string, syncing: Promise<unknown>, ended: () => boolean, probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await probe()) return;
    if (ended()) {
      await syncing;
      throw new Error(`the sync ended before ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function expectSkipped(label: string): Promise<void> {
  const run = await waitForExecution(site.sfn, await startExecution(site.sfn, site.syncArn(VPG), {}, label), { label, pollMs: 500 });
  expect(run.status).toBe('SUCCEEDED');
  expect(JSON.parse(run.output!).begin).toMatchObject({ skipped: true, reason: expect.stringContaining(`the lease of VPG ${VPG} is taken`) });
}

/** An execution of the VPG's sync whose name matches runs (a continuation is named `<sync id>-c<n>`). */
async function running(name: RegExp): Promise<boolean> {
  const listed = await site.sfn.send(new ListExecutionsCommand({ stateMachineArn: site.syncArn(VPG), statusFilter: 'RUNNING' }));
  return (listed.executions ?? []).some((e) => name.test(e.name!));
}

it('reads for hours across executions that each stay under the 25,000-event history, holds the lease throughout, and commits a byte-exact checkpoint', async () => {
  const expected = await volumeImages(site, [app]);
  let ended = false;
  const syncing = runSync(site.sfn, site.syncArn(VPG), 'long first sync').catch(async (err: unknown) => {
    // what each zSAT got to, for a failure seen only in CI
    for (const c of await zsatConsoles(['pending', 'running', 'shutting-down', 'terminated', 'stopped'])) console.error(c.split('\n').slice(-12).join('\n'));
    throw err;
  });
  void syncing.then(
    () => (ended = true),
    () => (ended = true),
  );
  const readingAll = async () => {
    const consoles = await zsatConsoles();
    return consoles.length === VOLUMES && consoles.every((c) => c.includes('"message":"reading volume"'));
  };
  await until('every zSAT read', syncing, () => ended, readingAll);
  site.cloud.ctx.clock.setScale(READ_TIME_SCALE);

  // a sync started while the first one reads, before and after it hands over, finds the lease taken and ends
  // without touching anything
  await expectSkipped('intruder-before');
  await until(
    'the first hand-over',
    syncing,
    () => ended,
    () => running(/-c1$/),
  );
  await expectSkipped('intruder-after');

  const sync = await syncing;
  site.cloud.ctx.clock.setScale(1);
  const histories = await Promise.all(sync.executions.map((arn) => executionHistory(site.sfn, arn)));
  const lengths = histories.map((h) => h.length);
  console.log(
    `long first sync: ${sync.executions.length} executions, history events ${lengths.join(', ')}, ${(sync.durationMs / 3_600_000).toFixed(1)} AWS hours`,
  );

  expect(sync.executions.length).toBeGreaterThanOrEqual(2);
  for (const n of lengths) expect(n).toBeLessThan(HISTORY_EVENT_QUOTA);
  // the first execution, in which every zSAT reads throughout, spent its whole share of polls before it handed over;
  // each later one but the last handed over too (a zSAT that ends its read in one leaves that one shorter)
  const share = VOLUMES * zsatPollBudget(VOLUMES) * EVENTS_PER_ZSAT_POLL;
  expect(lengths[0]).toBeGreaterThan(share);
  const handedOver = (h: HistoryEvent[]) => h.some((e) => e.type === 'SucceedStateEntered' && e.stateEnteredEventDetails?.name === SYNC_STATE.continuedAsNew);
  expect(histories.map(handedOver)).toEqual(histories.map((_, i) => i < histories.length - 1));
  expect(sync.durationMs).toBeGreaterThan(HYDRATION_SECONDS * 1000);
  expect(sync.blocksRead).toBe(VOLUMES * BLOCKS_PER_VOLUME);

  await expectStoreReproduces(site, VPG, sync.checkpointId, expected);
  await expectOnlyBaseSnapshotsLeft(site, VPG, sync.checkpointId);
}, 1_200_000);

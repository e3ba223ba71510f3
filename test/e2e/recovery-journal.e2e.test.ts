/**
 * A split site's journal, end to end on the offline cloud: a VPG protected in us-east-1 with its replica in eu-west-1
 * (test/e2e/recovery-site.e2e.test.ts) syncs with no CompactJournal in its sync; its journal is compacted by the
 * journal state machine in eu-west-1. Two syncs, then the cloud clock moves 70 minutes (journalHours 1), two more;
 * a fifth sync takes the lease and us-east-1 goes down under it. A journal run then skips (the lease's holder cannot
 * be asked), and once the lease has expired on the cloud clock the next run, with us-east-1 still down, drops the two
 * old checkpoints; the kept ones restore block for block. Back up, the fifth sync ends without a checkpoint.
 */
import { DescribeExecutionCommand, DescribeStateMachineCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { putRegionOutage } from '@lifeboat/offline-cloud/src/region-outage';
import { makeS3Client } from '../../runtime/aws/s3-client';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { currentLease } from '../../runtime/core/lease/lease-guard';
import type { JournalState } from '../../runtime/core/journal/contract';
import { SYNC_STATE } from '../../runtime/core/sync/contract';
import { failbackStateMachineName, journalStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';
import { createProtectedInstance, type ProtectedInstance } from '../../bin/demo/workload';
import type { VolumeImage } from '../../bin/demo/verify';
import { readableCause, startExecution, waitForExecution } from '../../bin/commands/executions';
import { executionHistory } from '../../bin/demo/inventory';
import { deployTestSite, type TestSite } from '../helpers/site';
import { TouchedVolumes } from '../helpers/touched-volumes';
import { expectCheckpointReproduces } from '../helpers/store-checks';

const SITE = 'dr3';
const VPG = 'app';
const RECOVERY = 'eu-west-1';
const config = {
  siteId: SITE,
  vpgs: [{ name: VPG, instances: { tags: { app: 'dr3-app' } }, syncIntervalMinutes: 60, journalHours: 1 }],
  agent: { volumesPerZsat: 1 },
  recoverySite: { region: RECOVERY },
  pollSeconds: 5,
};

let site: TestSite;
let app: ProtectedInstance;
let disks: TouchedVolumes;
let there: SFNClient;
let s3There: S3Client;
let store: S3ReplicaStore;
let coordination: S3Coordination;
const checkpoints: Array<{ id: string; images: Map<string, VolumeImage> }> = [];

beforeAll(async () => {
  site = await deployTestSite(config, { vcpuQuota: 16 });
  there = new SFNClient({ ...clientConfig(site.url), region: RECOVERY });
  // the store as the recovery region's clients reach it: with us-east-1 down, nothing signed for it gets through
  s3There = makeS3Client({ region: RECOVERY });
  const bucket = (await site.store(VPG)).bucket;
  store = new S3ReplicaStore({ bucket, client: s3There });
  coordination = new S3Coordination(bucket, s3There);
  app = await createProtectedInstance(site.ec2, { tags: { app: 'dr3-app' }, volumeSizesGiB: [1, 1] });
  disks = new TouchedVolumes(site.url, app.volumes);
}, 300_000);

afterAll(async () => {
  there?.destroy();
  s3There?.destroy();
  await site?.stop();
});

const journalArn = () => `arn:aws:states:${RECOVERY}:${site.cloud.ctx.accountId}:stateMachine:${journalStateMachineName(SITE, VPG)}`;

const outage = (region: string, down: boolean) => putRegionOutage(site.url, region, down);

/** Moves the cloud clock (every Lambda's and instance's Date with it) by `ms`: it runs fast until it has got there. */
async function advanceCloudClock(ms: number): Promise<void> {
  const clock = site.cloud.ctx.clock;
  const target = clock.now() + ms;
  clock.setScale(2000);
  try {
    while (clock.now() < target) await new Promise((r) => setTimeout(r, 10));
  } finally {
    clock.setScale(1);
  }
}

/** One real sync in us-east-1; its output has no journal part (the recovery site compacts). */
async function sync(label: string): Promise<Record<string, unknown>> {
  const expected = await disks.images();
  const arn = await startExecution(site.sfn, site.syncArn(VPG), {}, label);
  const exec = await waitForExecution(site.sfn, arn, { label, pollMs: 200 });
  if (exec.status !== 'SUCCEEDED') throw new Error(`${label} ${exec.status}: ${readableCause(exec)}`);
  const out = JSON.parse(exec.output ?? '{}') as { commit: { checkpointId: string } };
  checkpoints.push({ id: out.commit.checkpointId, images: expected });
  return out;
}

async function journalRun(label: string): Promise<JournalState> {
  const arn = await startExecution(there, journalArn(), {}, label);
  const exec = await waitForExecution(there, arn, { label, pollMs: 200 });
  if (exec.status !== 'SUCCEEDED') throw new Error(`${label} ${exec.status}: ${readableCause(exec)}`);
  return JSON.parse(exec.output ?? '{}') as JournalState;
}

async function machineNames(sfn: SFNClient): Promise<string[]> {
  return ((await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? []).map((m) => m.name!).sort();
}

describe("a split site's journal, compacted in the recovery site", () => {
  it('has the journal state machine beside the failback, and a sync without CompactJournal', async () => {
    expect(await machineNames(site.sfn)).toEqual([syncStateMachineName(SITE, VPG)]);
    expect(await machineNames(there)).toEqual([failbackStateMachineName(SITE, VPG), journalStateMachineName(SITE, VPG)].sort());
    const sync = await site.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: site.syncArn(VPG) }));
    expect(Object.keys((JSON.parse(sync.definition!) as { States: Record<string, unknown> }).States)).not.toContain(SYNC_STATE.compactJournal);
  });

  it('drops the checkpoints past the journal with the protected region down, once the lease its last sync held there has expired', async () => {
    // volume 0 rewritten whole by the first three syncs (its old packs die); volume 1 keeps data and changes a little
    await disks.write(0, 0, 8, 'j-1a');
    await disks.write(1, 0, 6, 'j-1b');
    expect(await sync('sync-1')).not.toHaveProperty('journal');
    await disks.write(0, 0, 8, 'j-2a');
    await disks.write(1, 20, 2, 'j-2b');
    await sync('sync-2');
    await advanceCloudClock(70 * 60_000);
    await disks.write(0, 0, 8, 'j-3a');
    await disks.write(1, 40, 3, 'j-3b');
    await sync('sync-3');
    await disks.write(0, 100, 2, 'j-4a');
    await sync('sync-4');
    const ids = checkpoints.map((c) => c.id);

    // a fifth sync takes the lease, and its region goes down under it once Begin is over (cut off inside Begin, a
    // retried Begin after the outage would take the by then free lease anew, legitimately, and sync on)
    const fifth = await startExecution(site.sfn, site.syncArn(VPG), {}, 'sync-5');
    const pastBegin = async () =>
      (await executionHistory(site.sfn, fifth)).some((e) => e.type === 'TaskStateEntered' && e.stateEnteredEventDetails?.name === SYNC_STATE.createSnapshots);
    for (;;) {
      const lease = await currentLease({ lease: coordination }, VPG);
      if (lease?.holder?.executionArn === fifth && (await pastBegin())) break;
      const { status } = await site.sfn.send(new DescribeExecutionCommand({ executionArn: fifth }));
      if (status !== 'RUNNING') throw new Error(`sync-5 ended (${status}) before it took the lease`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await outage('us-east-1', true);
    try {
      expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual(ids);
      // the holder cannot be asked (its region is gone) and has not let the lease expire: this run skips
      const skipped = await journalRun('journal-1');
      expect(skipped.begin).toEqual({ skipped: true, reason: expect.stringContaining(`held by sync ${fifth}`) });
      expect(skipped.journal).toBeUndefined();
      expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual(ids);

      const held = (await currentLease({ lease: coordination }, VPG))!;
      await advanceCloudClock(Date.parse(held.expiresAt) - site.cloud.ctx.clock.now() + 60_000);
      const run = await journalRun('journal-2');
      expect(run.begin).toEqual({ skipped: false, lease: { token: held.token + 1 } });
      expect(run.journal).toMatchObject({ skipped: false, dropped: [ids[0], ids[1]], oldestKept: ids[2], rewritten: ids[2] });
      expect(run.journal!.packsDeleted).toBeGreaterThanOrEqual(1); // volume 0's packs of syncs 1 and 2
      expect(run.release).toEqual({ released: true });
      expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual([ids[2], ids[3]]);
      for (const id of [ids[0], ids[1]]) expect(await store.getBytes(`vpgs/${VPG}/checkpoints/${id}.json`)).toBeNull();
      expect(await store.getCheckpoint(VPG, ids[2])).toMatchObject({ full: true, parentId: null });
      for (const c of checkpoints.slice(2)) await expectCheckpointReproduces(store, VPG, c.id, c.images);
      expect(await currentLease({ lease: coordination }, VPG)).toMatchObject({ holder: null, releasedBy: { kind: 'journal' } });
    } finally {
      await outage('us-east-1', false);
    }

    // back up, the fifth sync (cut off mid-step, its token stale since the takeover) ends without a checkpoint and
    // leaves the lease as the journal run released it
    const after = (await currentLease({ lease: coordination }, VPG))!;
    const ended = await waitForExecution(site.sfn, fifth, { label: 'sync-5', pollMs: 200 });
    expect(ended.status).toBe('FAILED');
    expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual([checkpoints[2].id, checkpoints[3].id]);
    expect(await currentLease({ lease: coordination }, VPG)).toMatchObject({ token: after.token, holder: null, releasedBy: { kind: 'journal' } });
  }, 900_000);
});

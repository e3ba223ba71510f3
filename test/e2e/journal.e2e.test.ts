/**
 * The journal end to end on the offline cloud: real syncs through the synthesized state machine (whose
 * CompactJournal state runs after every commit), then the journal step in process over the real adapters with
 * a clock that puts the cut-off between checkpoints 2 and 3. Dropped checkpoints go, the oldest kept one becomes
 * full, every kept checkpoint still restores byte for byte, dead packs go, and the next real sync still works.
 * `lifeboat export` of the latest checkpoint equals the volume.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { parseStepEnv } from '../../runtime/core/step-env';
import type { StepDeps } from '../../runtime/core/sync/deps';
import type { CompactJournalOutput } from '../../runtime/core/store/journal';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { VcpuCapacity } from '../../runtime/aws/vcpu-capacity';
import { EbsDirect } from '../../runtime/aws/ebs-direct';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { acquireLease, releaseLease } from '../../runtime/core/lease/lease-guard';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { StepFunctionsExecutions } from '../../runtime/aws/sfn-executions';
import { compactJournalStep } from '../../runtime/handlers/compact-journal-handler';
import { createProtectedInstance, type ProtectedInstance } from '../../bin/demo/workload';
import { isZero, type VolumeImage } from '../../bin/demo/verify';
import { startExecution, waitForExecution, readableCause } from '../../bin/commands/executions';
import { MemoryLog } from '../steps/memory-store';
import { deployTestSite, type TestSite } from '../helpers/site';
import { TouchedVolumes } from '../helpers/touched-volumes';
import { expectCheckpointReproduces } from '../helpers/store-checks';

const SITE = 'jrnl';
const VPG = 'app';
const config = {
  siteId: SITE,
  // one volume per zSAT: each volume's blocks land in packs of their own, so a fully overwritten volume's packs die whole
  vpgs: [{ name: VPG, instances: { tags: { app: 'journal-app' } }, syncIntervalMinutes: 60, journalHours: 24 }],
  agent: { volumesPerZsat: 1 },
  pollSeconds: 5,
};
const run = promisify(execFile);
const LIFEBOAT = path.resolve(__dirname, '../../bin/lifeboat.js');

let site: TestSite;
let app: ProtectedInstance;
let disks: TouchedVolumes;
let store: S3ReplicaStore;
const checkpoints: Array<{ id: string; createdAt: string; images: Map<string, VolumeImage> }> = [];

/** A raw image file equals a captured volume: every block hashes as captured, every other block is zeros. */
async function expectRawEquals(file: string, image: VolumeImage): Promise<void> {
  expect(fs.statSync(file).size).toBe(image.sizeBytes);
  const mismatches: number[] = [];
  let index = 0;
  let pending = Buffer.alloc(0);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 16 * BLOCK_SIZE })) {
    pending = Buffer.concat([pending, chunk as Buffer]);
    for (; pending.length >= BLOCK_SIZE; index++) {
      const block = pending.subarray(0, BLOCK_SIZE);
      const want = image.blocks.get(index);
      const ok = want === undefined ? isZero(block) : createHash('sha256').update(block).digest('hex') === want;
      if (!ok) mismatches.push(index);
      pending = pending.subarray(BLOCK_SIZE);
    }
  }
  expect(mismatches).toEqual([]);
}

/** One real sync through the state machine; returns its whole output (the journal's part included). */
async function sync(label: string): Promise<{ checkpointId: string; journal?: CompactJournalOutput; journalError?: unknown }> {
  const expected = await disks.images();
  const arn = await startExecution(site.sfn, site.syncArn(VPG), {}, label);
  const exec = await waitForExecution(site.sfn, arn, { label, pollMs: 200 });
  if (exec.status !== 'SUCCEEDED') throw new Error(`${label} ${exec.status}: ${readableCause(exec)}`);
  const out = JSON.parse(exec.output ?? '{}') as { commit: { checkpointId: string }; journal?: CompactJournalOutput; journalError?: unknown };
  const cp = (await store.getCheckpoint(VPG, out.commit.checkpointId))!;
  checkpoints.push({ id: cp.id, createdAt: cp.createdAt, images: expected });
  return { checkpointId: cp.id, journal: out.journal, journalError: out.journalError };
}

/** Hashes some kept manifest references. */
async function liveHashes(): Promise<Set<string>> {
  const live = new Set<string>();
  for (const c of await store.listCheckpoints(VPG)) {
    for (const v of c.volumes) for (const ref of (await store.resolveVolume(VPG, c.id, v.sourceVolumeId)).values()) live.add(ref);
  }
  return live;
}

beforeAll(async () => {
  site = await deployTestSite(config);
  app = await createProtectedInstance(site.ec2, { tags: { app: 'journal-app' }, volumeSizesGiB: [1, 1] });
  disks = new TouchedVolumes(site.url, app.volumes);
  store = await site.store(VPG);
}, 180_000);

afterAll(async () => site?.stop());

describe('journal compaction, end to end on the offline cloud', () => {
  it('four syncs with overwrites and trims; CompactJournal runs in each and keeps everything inside 24 h', async () => {
    // volume 0: blocks 0..9 rewritten whole by syncs 1-3 (its old packs die); volume 1: data that stays, plus changes
    await disks.write(0, 0, 10, 's1-a');
    await disks.write(1, 0, 6, 's1-b');
    const first = await sync('sync-1');
    await disks.write(0, 0, 10, 's2-a');
    await disks.write(1, 40, 2, 's2-b');
    await disks.trim(1, 1);
    await sync('sync-2');
    await disks.write(0, 0, 9, 's3-a');
    await disks.trim(0, 9);
    await disks.write(1, 100, 3, 's3-b');
    await sync('sync-3');
    await disks.write(0, 300, 2, 's4-a');
    await disks.write(1, 2, 1, 's4-b');
    const fourth = await sync('sync-4');

    for (const s of [first, fourth]) {
      expect(s.journalError).toBeUndefined();
      expect(s.journal).toMatchObject({ skipped: false, dropped: [], packsDeleted: 0 });
    }
    expect(fourth.journal!.oldestKept).toBe(checkpoints[0].id);
    expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual(checkpoints.map((c) => c.id));
  }, 900_000);

  it('the journal step over the real adapters, cut-off between checkpoints 2 and 3, compacts exactly', async () => {
    const [, second, third] = checkpoints;
    expect(Date.parse(third.createdAt)).toBeGreaterThan(Date.parse(second.createdAt));
    const cutoff = (Date.parse(second.createdAt) + Date.parse(third.createdAt)) / 2;
    const journalHours = 24;
    const env = parseStepEnv({ LIFEBOAT_SITE_ID: SITE, LIFEBOAT_BUCKET: store.bucket, LIFEBOAT_ZSAT_LAUNCH_TEMPLATE: `lifeboat-${SITE}-zsat` });
    const realDeps: StepDeps = {
      env,
      ec2: new Ec2Adapter(),
      ebs: new EbsDirect(),
      executions: new StepFunctionsExecutions(),
      capacity: new VcpuCapacity(),
      store: new S3ReplicaStore({ bucket: env.bucket }),
      lease: new S3Coordination(env.bucket),
      readers: new S3Coordination(env.bucket),
      log: new MemoryLog(),
      now: () => new Date(cutoff + journalHours * 3600_000),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    };
    const packsBefore = await store.listPackIndexes(VPG);
    const runtime = {
      name: VPG,
      instanceIds: [],
      instanceTags: { app: 'journal-app' },
      syncIntervalMinutes: 60,
      journalHours,
      volumesPerZsat: 1,
      maxZsats: 8,
      pollSeconds: 5,
      heartbeatTimeoutSeconds: 300,
      agentInstanceProfileArn: '',
      storeBucket: store.bucket,
    };
    const event = {
      vpg: runtime,
      executionId: `${site.syncArn(VPG).replace(':stateMachine:', ':execution:')}:in-process`,
      stateMachineArn: site.syncArn(VPG),
      startedAt: new Date().toISOString(),
      commit: { checkpointId: checkpoints[3].id, blocksPlanned: 0, blocksRead: 0, bytesRead: 0, bytesStored: 0 },
    };
    // the step runs under the VPG's lease, as inside a sync: this in-process "execution" takes it, then frees it
    const lease = await acquireLease(realDeps, VPG, { executionArn: event.executionId, kind: 'sync' }, 3600);
    expect(lease.held).toBe(true);
    const out = await compactJournalStep.withDeps(realDeps)(event);
    expect(await releaseLease(realDeps, VPG, event.executionId)).toBe(true);
    expect(out).toMatchObject({ skipped: false, dropped: [checkpoints[0].id, checkpoints[1].id], oldestKept: third.id, rewritten: third.id, resumed: false });

    // dropped checkpoints are gone (manifests and summaries); the oldest kept is full with no parent
    expect((await store.listCheckpoints(VPG)).map((c) => c.id)).toEqual([third.id, checkpoints[3].id]);
    for (const c of checkpoints.slice(0, 2)) {
      expect(await store.getBytes(`vpgs/${VPG}/checkpoints/${c.id}.json`)).toBeNull();
      expect(await store.getBytes(`vpgs/${VPG}/checkpoints/${c.id}.summary.json`)).toBeNull();
    }
    expect(await store.getCheckpoint(VPG, third.id)).toMatchObject({ full: true, parentId: null });
    expect((await store.listCheckpoints(VPG))[0].parentId).toBeNull();

    // every retained checkpoint restores exactly
    for (const c of checkpoints.slice(2)) await expectCheckpointReproduces(store, VPG, c.id, c.images);

    // dead packs are gone (index and data); every remaining pack holds a live block
    const live = await liveHashes();
    const packsAfter = await store.listPackIndexes(VPG);
    const deleted = [...packsBefore.keys()].filter((id) => !packsAfter.has(id));
    expect(deleted.length).toBe(out.packsDeleted);
    expect(deleted.length).toBeGreaterThanOrEqual(2); // volume 0's packs of syncs 1 and 2
    for (const id of deleted) {
      expect(packsBefore.get(id)!.blocks.some((b) => live.has(b.hash))).toBe(false);
      expect(await store.getBytes(`vpgs/${VPG}/packs/${id}.pack`)).toBeNull();
    }
    for (const [id, index] of packsAfter) expect({ id, live: index.blocks.some((b) => live.has(b.hash)) }).toEqual({ id, live: true });
    expect(await store.getBytes(`vpgs/${VPG}/journal/compaction.json`)).toBeNull();
  }, 300_000);

  it('a following real sync still works and restores exactly; its CompactJournal finds nothing to drop', async () => {
    await disks.write(0, 0, 4, 's5-a');
    await disks.trim(1, 100);
    const fifth = await sync('sync-5');
    expect(fifth.journalError).toBeUndefined();
    expect(fifth.journal).toMatchObject({ skipped: false, dropped: [], oldestKept: checkpoints[2].id });
    const cp = (await store.getCheckpoint(VPG, fifth.checkpointId))!;
    expect(cp.parentId).toBe(checkpoints[3].id);
    for (const c of checkpoints.slice(2)) await expectCheckpointReproduces(store, VPG, c.id, c.images);
  }, 300_000);

  it('lifeboat export writes the latest checkpoint of a volume as raw (equal to the volume) and qcow2', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const latest = checkpoints[checkpoints.length - 1];
    const volume = app.volumes[0].volumeId;
    const raw = path.join(site.workDir, 'vol0.raw');
    const r = await run(process.execPath, [LIFEBOAT, 'export', VPG, '--volume', volume, '--format', 'raw', '-o', raw, '--config', site.configPath], { env });
    expect(r.stdout).toMatch(
      new RegExp(`exported ${volume} of checkpoint ${latest.id} to .*vol0.raw \\(raw, ${1024 ** 3} bytes\\): \\d+ bytes written, \\d+ blocks, [\\d.]+ MiB/s`),
    );
    await expectRawEquals(raw, latest.images.get(volume)!);

    const qcow = path.join(site.workDir, 'vol0.qcow2');
    await run(
      process.execPath,
      [LIFEBOAT, 'export', VPG, '--volume', volume, '--checkpoint', latest.id, '--format', 'qcow2', '-o', qcow, '--config', site.configPath],
      { env },
    );
    try {
      execFileSync('qemu-img', ['--version'], { stdio: 'ignore' });
    } catch {
      console.warn('SKIPPING qemu-img compare of the qcow2 export: qemu-img is not installed (apt-get install qemu-utils)');
      return;
    }
    expect(execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', qcow, raw], { encoding: 'utf8' })).toMatch(/identical/i);
  }, 300_000);

  it('lifeboat export of a volume not in the checkpoint exits 2 and lists its volumes', async () => {
    const env = { ...process.env, AWS_ENDPOINT_URL: site.url };
    const err = await run(
      process.execPath,
      [LIFEBOAT, 'export', VPG, '--volume', 'vol-0nope', '--format', 'raw', '-o', path.join(site.workDir, 'x.raw'), '--config', site.configPath],
      { env },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(
      new RegExp(`volume vol-0nope is not in checkpoint cp-\\S+ of VPG ${VPG}; its volumes: .*${app.volumes[0].volumeId}.*${app.volumes[1].volumeId}`),
    );
    expect(fs.existsSync(path.join(site.workDir, 'x.raw'))).toBe(false);
  });
});

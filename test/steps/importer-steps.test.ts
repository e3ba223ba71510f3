/** SpawnImporter and PollImporter over fakes: blank target volumes, the launch, the poll's counts and its failures. */
import type { AgentProgress, ImportJob } from '../../runtime/core/workers/agent-job';
import type { ImporterState } from '../../runtime/core/failback/contract';
import { FailbackFailed } from '../../runtime/core/failback/failback-request';
import { executionTags, pollImporter, spawnImporter } from '../../runtime/core/failback/importers';
import type { SpawnImporterInput } from '../../runtime/core/failback/contract';
import type { BlankVolumeRequest, RecoveryPort } from '../../runtime/core/failback/recovery-ports';
import { importProgressKey } from '../../runtime/core/store/format';
import type { StepEnv } from '../../runtime/core/step-env';
import { TAG, tagsFor } from '../../runtime/core/tags';
import { ENV, GIB, SITE, makeWorld, vpgRuntime, type World } from './fakes';

const TEMPLATE = 'lifeboat-site-a-zimporter';
const IMPORT_ID = 'imp-1';
const CHECKPOINT = 'cp-20261125T1200';
const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-failback:fb-1';
const JOB_KEY = `vpgs/web/imports/${IMPORT_ID}/jobs/imp-0.json`;

/** A world with the site's ZImporter template, one import job of two volumes (one encrypted), and a blank-volume maker. */
function importWorld(env: StepEnv = { ...ENV, importerLaunchTemplate: TEMPLATE, importerSecurityGroup: 'sg-imp' }) {
  const world = makeWorld(env);
  world.ec2.addLaunchTemplate(TEMPLATE);
  const blank: BlankVolumeRequest[] = [];
  const tokens = new Map<string, string>();
  const recovery = {
    // idempotent on its client token, as CreateVolume is
    createBlankVolume: async (r: BlankVolumeRequest) => {
      blank.push(r);
      const known = tokens.get(r.clientToken);
      const v = known ? world.ec2.volumes.get(known)! : world.ec2.addVolume({ az: r.availabilityZone, sizeGiB: r.sizeGiB, tags: { ...r.tags } });
      if (!known) v.state = 'creating';
      tokens.set(r.clientToken, v.volumeId);
      return structuredClone(v);
    },
  } as Pick<RecoveryPort, 'createBlankVolume'> as RecoveryPort;
  return { world, blank, deps: { ...world.deps, recovery } };
}

async function writeJob(world: World): Promise<ImportJob> {
  const job: ImportJob = {
    kind: 'import',
    jobId: 'imp-0',
    vpg: 'web',
    executionId: EXECUTION,
    store: { bucket: ENV.bucket, prefix: 'vpgs/web/' },
    progressKey: importProgressKey('web', IMPORT_ID, 'imp-0'),
    resultKey: `vpgs/web/imports/${IMPORT_ID}/results/imp-0.json`,
    heartbeatSeconds: 30,
    volumes: [
      { volumeId: '', sourceVolumeId: 'vol-src1', sizeBytes: 8 * GIB, checkpointId: CHECKPOINT },
      { volumeId: '', sourceVolumeId: 'vol-src2', sizeBytes: 3 * GIB + 1, checkpointId: CHECKPOINT, kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1' },
    ],
  };
  await world.store.putJson(JOB_KEY, job);
  return job;
}

const input = (over: Partial<SpawnImporterInput> = {}): SpawnImporterInput => ({
  vpg: vpgRuntime({ agentInstanceProfileArn: 'arn:aws:iam::1:instance-profile/agent', importerInstanceProfileArn: 'arn:aws:iam::1:instance-profile/importer' }),
  executionId: EXECUTION,
  importId: IMPORT_ID,
  checkpointId: CHECKPOINT,
  availabilityZone: 'us-east-1b',
  importer: { index: 0, jobKey: JOB_KEY, sourceVolumeIds: ['vol-src1', 'vol-src2'] },
  ...over,
});

async function spawned() {
  const w = importWorld();
  const job = await writeJob(w.world);
  const state = await spawnImporter(input(), w.deps);
  return { ...w, job, state };
}

describe('spawn-importer', () => {
  it('makes blank volumes of the source sizes under their keys in the zone, rewrites the job with them, and launches from the ZImporter template', async () => {
    const { world, blank, state } = await spawned();
    expect(state).toEqual({
      index: 0,
      done: false,
      waitSeconds: 5,
      instanceId: expect.stringMatching(/^i-/),
      volumeIds: [expect.stringMatching(/^vol-/), expect.stringMatching(/^vol-/)],
      sourceVolumeIds: ['vol-src1', 'vol-src2'],
      blocksDone: 0,
      blocksTotal: 0,
      launchedAt: world.clock.now().toISOString(),
    });
    const bookkeeping = executionTags('web', IMPORT_ID, CHECKPOINT);
    expect(blank).toEqual([
      {
        sizeGiB: 8,
        availabilityZone: 'us-east-1b',
        clientToken: `web-${IMPORT_ID}-vol-vol-src1`,
        tags: tagsFor(SITE, 'zimporter', 'volume', { ...bookkeeping, [TAG.sourceVolume]: 'vol-src1' }),
      },
      {
        sizeGiB: 4,
        kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k1',
        availabilityZone: 'us-east-1b',
        clientToken: `web-${IMPORT_ID}-vol-vol-src2`,
        tags: tagsFor(SITE, 'zimporter', 'volume', { ...bookkeeping, [TAG.sourceVolume]: 'vol-src2' }),
      },
    ]);
    const job = await world.store.getJson<ImportJob>(JOB_KEY);
    expect(job!.volumes.map((v) => v.volumeId)).toEqual(state.volumeIds);
    const [run] = world.ec2.runRequests;
    expect(run).toMatchObject({
      launchTemplateId: world.ec2.templates.get(TEMPLATE)!.launchTemplateId,
      subnetId: 'subnet-b',
      securityGroupId: 'sg-imp',
      instanceProfileArn: 'arn:aws:iam::1:instance-profile/importer',
      clientToken: `web-${IMPORT_ID}-importer-0`,
    });
    expect(run.instanceTags).toEqual(tagsFor(SITE, 'zimporter', 'instance', { ...bookkeeping, [TAG.agentJob]: `s3://${ENV.bucket}/${JOB_KEY}` }));
  });

  it('is idempotent: a retried spawn returns the same volumes and instance', async () => {
    const { deps, state } = await spawned();
    const again = await spawnImporter(input(), deps);
    expect(again).toEqual(state);
  });

  it('fails naming the variable when the step environment names no ZImporter launch template, launching nothing', async () => {
    const { world, deps } = importWorld({ ...ENV, importerLaunchTemplate: undefined });
    await writeJob(world);
    const spawn = spawnImporter(input(), deps);
    await expect(spawn).rejects.toThrow(FailbackFailed);
    await expect(spawn).rejects.toThrow('the step environment names no ZImporter launch template (LIFEBOAT_IMPORTER_LAUNCH_TEMPLATE)');
    expect(world.ec2.runRequests).toEqual([]);
  });

  it('fails on a missing job before creating anything', async () => {
    const { world, deps } = importWorld();
    await expect(spawnImporter(input(), deps)).rejects.toMatchObject({
      name: 'FailbackFailed',
      message: `the import job ${JOB_KEY} is missing from the store`,
    });
    expect(world.ec2.volumes.size).toBe(0);
  });
});

describe('poll-importer', () => {
  const pollInput = (importer: ImporterState) => ({ ...input(), importer, importerCount: 1 });

  it('attaches the volumes, keeps the reader record fresh, counts ordinary polls, and ends the instance when its agent is done', async () => {
    const { world, deps, job, state } = await spawned();
    const pending = await pollImporter(pollInput(state), deps); // volumes creating, instance pending
    expect(pending).toMatchObject({ done: false, waitSeconds: 5, polls: 1 });
    expect(world.ec2.calls.attachVolume).toBeUndefined();
    world.ec2.settleAll();
    let polled = await pollImporter(pollInput(pending), deps);
    expect(world.ec2.calls.attachVolume).toBe(2);
    expect([...world.coordination.readers.values()]).toEqual([
      expect.objectContaining({ id: IMPORT_ID, kind: 'failback', state: 'reading', checkpointId: CHECKPOINT }),
    ]);
    const progress = (over: Partial<AgentProgress>): AgentProgress => ({
      jobId: job.jobId,
      state: 'running',
      updatedAt: world.clock.now().toISOString(),
      blocksTotal: 10,
      blocksDone: 4,
      bytesRead: 0,
      bytesStored: 0,
      ...over,
    });
    await world.store.putJson(job.progressKey, progress({}));
    polled = await pollImporter(pollInput(polled), deps);
    expect(polled).toMatchObject({ done: false, blocksDone: 4, blocksTotal: 10, polls: 3 });
    await world.store.putJson(job.progressKey, progress({ state: 'done', blocksDone: 10 }));
    const done = await pollImporter(pollInput(polled), deps);
    expect(done).toMatchObject({ done: true, waitSeconds: 5, blocksDone: 10, blocksTotal: 10, polls: 3 });
    expect(world.ec2.instances.get(state.instanceId)!.state).toBe('terminated');
  });

  it('waits for an instance Describe does not see yet, without counting the poll, until the heartbeat timeout', async () => {
    const { world, deps, state } = await spawned();
    world.ec2.instances.delete(state.instanceId);
    world.clock.advance(300);
    await expect(pollImporter(pollInput({ ...state, polls: 7 }), deps)).resolves.toEqual({ ...state, polls: 7, waitSeconds: 5 });
    world.clock.advance(1);
    await expect(pollImporter(pollInput(state), deps)).rejects.toMatchObject({
      name: 'FailbackFailed',
      message: `ZImporter ${state.instanceId} has disappeared`,
    });
  });

  it('fails on an agent error and on an instance that stopped, naming the ZImporter', async () => {
    const { world, deps, job, state } = await spawned();
    world.ec2.settleAll();
    await world.store.putJson(job.progressKey, {
      jobId: job.jobId,
      state: 'failed',
      updatedAt: world.clock.now().toISOString(),
      blocksTotal: 1,
      blocksDone: 0,
      bytesRead: 0,
      bytesStored: 0,
      error: 'EIO writing /dev/sdf',
    });
    await expect(pollImporter(pollInput(state), deps)).rejects.toMatchObject({
      name: 'FailbackFailed',
      message: `ZImporter ${state.instanceId} agent failed: EIO writing /dev/sdf`,
    });
    world.ec2.instances.get(state.instanceId)!.state = 'stopped';
    await expect(pollImporter(pollInput(state), deps)).rejects.toMatchObject({
      message: `ZImporter ${state.instanceId} is stopped unexpectedly; the write of its volumes did not finish`,
    });
  });

  it('times out an agent that stopped reporting, naming its last heartbeat', async () => {
    const { world, deps, job, state } = await spawned();
    world.ec2.settleAll();
    const beat = world.clock.now().toISOString();
    await world.store.putJson(job.progressKey, {
      jobId: job.jobId,
      state: 'running',
      updatedAt: beat,
      blocksTotal: 1,
      blocksDone: 0,
      bytesRead: 0,
      bytesStored: 0,
    });
    world.clock.advance(301);
    await expect(pollImporter(pollInput(state), deps)).rejects.toMatchObject({
      message: `ZImporter ${state.instanceId} stopped reporting (last heartbeat ${beat})`,
    });
  });

  it('times out an agent that never reported with what to look at: its console output and lifeboat doctor', async () => {
    const { world, deps, state } = await spawned();
    world.ec2.settleAll();
    world.clock.advance(299);
    await expect(pollImporter(pollInput(state), deps)).resolves.toMatchObject({ done: false });
    world.clock.advance(2);
    await expect(pollImporter(pollInput(state), deps)).rejects.toMatchObject({
      name: 'FailbackFailed',
      message:
        `ZImporter ${state.instanceId} never reported (launched ${state.launchedAt}, heartbeat timeout 300 s): its boot did not reach the agent. ` +
        `Its console output says how far it got (aws ec2 get-console-output --instance-id ${state.instanceId}); lifeboat doctor checks that its subnet reaches S3`,
    });
  });
});

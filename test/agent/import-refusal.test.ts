/**
 * The importer over the offline cloud's S3 (create-only writes evaluated): a corrupt or incomplete checkpoint
 * fails before any device is written, and a job's result is written once, never replaced.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BLOCK_SIZE, deviceLinkName, type AgentProgress, type ImportJob } from '../../runtime/core/workers/agent-job';
import { buildManifest, checkpointKey, importProgressKey, importResultKey, type VolumeMeta } from '../../runtime/core/store/format';
import type { CheckpointManifest } from '../../runtime/core/store/port';
import { makeAgentS3Client } from '../../runtime/aws/agent-s3-client';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { runJob } from '../../runtime/agent/job-runner';
import { silentLogger } from '../../runtime/agent/log';
import { readVolumeBlocks } from '../../runtime/agent/reader';
import { clientConfig, startTestCloud, type TestCloud } from '@lifeboat/offline-cloud/src/testing';
import { makeSourceVolume, planFor, type SourceVolume } from './fixture';

const BUCKET = 'import-refusal';
const BLOCKS = 16;
const SIZE = BLOCKS * BLOCK_SIZE;
const FILL = 0xaa;
let t: TestCloud;
let client: S3Client;
let store: S3ReplicaStore;
let dir: string;
let devices: string;
let source: SourceVolume;
let cp1: CheckpointManifest;

const meta = (id: string): VolumeMeta => ({ sourceVolumeId: id, sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: SIZE, snapshotId: 'snap-1' });

beforeAll(async () => {
  t = await startTestCloud();
  await t.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client = makeAgentS3Client({ ...clientConfig(t.url), forcePathStyle: true });
  store = new S3ReplicaStore({ bucket: BUCKET, client, onProblem: () => {} });
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-import-refusal-'));
  devices = join(dir, 'by-id');
  mkdirSync(devices);
  source = makeSourceVolume(join(dir, 'source.img'), BLOCKS);
  const all = Array.from({ length: BLOCKS }, (_, i) => i);
  const read = await readVolumeBlocks({ devicePath: source.path, plan: planFor('vol-a', all, SIZE), store, vpg: 'web' });
  const volB = { ...read, sourceVolumeId: 'vol-b' };
  cp1 = buildManifest({
    vpg: 'web',
    syncId: 'sync0001',
    createdAt: '2026-11-25T10:00:00Z',
    parentId: null,
    full: true,
    volumes: [meta('vol-a'), meta('vol-b')],
    results: [{ jobId: 'j', volumes: [read, volB], packs: read.packs }],
  });
  await store.commitCheckpoint(cp1);
});
afterAll(async () => {
  client.destroy();
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Two targets full of FILL bytes, attached as vol-0<name>a and vol-0<name>b. */
function targets(name: string): { paths: string[]; ids: string[] } {
  const ids = [`vol-0${name}a`, `vol-0${name}b`];
  const paths = ids.map((id) => {
    const path = join(dir, `${id}.img`);
    writeFileSync(path, Buffer.alloc(SIZE, FILL));
    symlinkSync(path, join(devices, deviceLinkName(id)));
    return path;
  });
  return { paths, ids };
}
const untouched = (path: string) => readFileSync(path).equals(Buffer.alloc(SIZE, FILL));

function importJob(executionId: string, ids: string[], checkpoints: [string, string]): ImportJob {
  return {
    kind: 'import',
    jobId: 'imp-0',
    vpg: 'web',
    executionId,
    store: { bucket: BUCKET, prefix: 'vpgs/web/' },
    progressKey: importProgressKey('web', executionId, 'imp-0'),
    resultKey: importResultKey('web', executionId, 'imp-0'),
    heartbeatSeconds: 1,
    volumes: [
      { volumeId: ids[0], sourceVolumeId: 'vol-a', sizeBytes: SIZE, checkpointId: checkpoints[0], blank: false },
      { volumeId: ids[1], sourceVolumeId: 'vol-b', sizeBytes: SIZE, checkpointId: checkpoints[1], blank: false },
    ],
  };
}
const run = (job: ImportJob) => runJob(job, { store, log: silentLogger, env: { LIFEBOAT_DEVICE_DIR: devices }, deviceWaitMs: 2000, finalReportMs: 5000 });

describe('an import refused before any device is written', () => {
  it.each([['-1'], ['1.5'], ['0x10'], [String(BLOCKS)]])("when the second volume's checkpoint has the block key %j", async (key) => {
    const name = `k${key.replace(/[^0-9a-z]/g, 'x')}`;
    const delta = buildManifest({
      vpg: 'web',
      syncId: `sync-${name}`,
      createdAt: '2026-11-25T11:00:00Z',
      parentId: cp1.id,
      full: false,
      volumes: [meta('vol-a'), meta('vol-b')],
      results: [],
    });
    await store.putJson(checkpointKey('web', delta.id), { ...delta, volumes: [delta.volumes[0], { ...delta.volumes[1], blocks: { [key]: source.ref(1) } }] });
    const { paths, ids } = targets(name);
    const job = importJob(`exec-${name}`, ids, [cp1.id, delta.id]);
    await expect(run(job)).rejects.toMatchObject({ name: 'CorruptManifest', checkpointId: delta.id, sourceVolumeId: 'vol-b', key });
    expect(paths.map(untouched)).toEqual([true, true]);
    expect(await store.getJson<AgentProgress>(job.progressKey)).toMatchObject({ state: 'failed', error: expect.stringContaining(`block key "${key}"`) });
  });

  it('when a block the second volume needs is in no pack', async () => {
    const gone = 'e'.repeat(64);
    const delta = buildManifest({
      vpg: 'web',
      syncId: 'sync-missing',
      createdAt: '2026-11-25T12:00:00Z',
      parentId: cp1.id,
      full: false,
      volumes: [meta('vol-a'), meta('vol-b')],
      results: [{ jobId: 'j', packs: [], volumes: [{ sourceVolumeId: 'vol-b', blocks: { 3: gone }, blocksRead: 1, bytesRead: BLOCK_SIZE, bytesStored: 0 }] }],
    });
    await store.commitCheckpoint(delta);
    const { paths, ids } = targets('missing');
    await expect(run(importJob('exec-missing', ids, [cp1.id, delta.id]))).rejects.toThrow(
      `MissingBlock: block ${gone} is in no pack index of the store (block 3 of checkpoint ${delta.id}, VPG web; 1 block(s) missing)`,
    );
    expect(paths.map(untouched)).toEqual([true, true]);
  });
});

describe('results are written once', () => {
  it('a result already there with other content fails the job naming it, and stays as it was', async () => {
    const { paths, ids } = targets('again');
    const job = importJob('exec-again', ids, [cp1.id, cp1.id]);
    await store.createJson(job.resultKey, { jobId: 'imp-0', volumes: [], note: 'an earlier run' });
    await expect(run(job)).rejects.toThrow(`job imp-0 of VPG web already has a different result at ${job.resultKey}: a job runs once`);
    expect(await store.getJson(job.resultKey)).toEqual({ jobId: 'imp-0', volumes: [], note: 'an earlier run' });
    expect(readFileSync(paths[0]).equals(source.bytes)).toBe(true); // the import itself ran: only its result was refused
  });
});

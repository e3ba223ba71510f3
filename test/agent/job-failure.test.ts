import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_SIZE, deviceLinkName, type AgentProgress, type ReadJob } from '../../runtime/core/workers/agent-job';
import { planKey, syncProgressKey, syncResultKey } from '../../runtime/core/store/format';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { runJob } from '../../runtime/agent/job-runner';
import { jsonLogger } from '../../runtime/agent/log';
import { startS3, type TestS3 } from '../helpers/s3rver';
import { makeSourceVolume, planFor } from './fixture';

const BLOCKS = 64;
let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startS3();
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-agent-fail-'));
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function readJob(vpg: string, syncId: string): ReadJob {
  return {
    kind: 'read',
    jobId: 'job-0',
    vpg,
    syncId,
    executionId: `arn:aws:states:us-east-1:000000000000:execution:sm:${syncId}`,
    store: { bucket: s3.bucket, prefix: `vpgs/${vpg}/` },
    progressKey: syncProgressKey(vpg, syncId, 'job-0'),
    resultKey: syncResultKey(vpg, syncId, 'job-0'),
    heartbeatSeconds: 1,
    volumes: [{ volumeId: 'vol-0zsat', sourceVolumeId: 'vol-src', sizeBytes: BLOCKS * BLOCK_SIZE, planKey: planKey(vpg, syncId, 'vol-src') }],
  };
}

describe('agent job failures', () => {
  it('a store that dies mid-read fails the job with a clear message, and progress says failed once the store is back', async () => {
    const devices = join(dir, 'dev');
    require('node:fs').mkdirSync(devices);
    const source = makeSourceVolume(join(dir, 'src.img'), BLOCKS);
    symlinkSync(source.path, join(devices, deviceLinkName('vol-0zsat')));
    const store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client({ maxAttempts: 2, agent: true }) });
    const job = readJob('web', 'sync-kill');
    await store.putJson(
      job.volumes[0].planKey,
      planFor(
        'vol-src',
        Array.from({ length: BLOCKS }, (_, i) => i),
        BLOCKS * BLOCK_SIZE,
      ),
    );

    const lines: string[] = [];
    let killed = false;
    const run = runJob(job, {
      store,
      env: { LIFEBOAT_DEVICE_DIR: devices },
      log: jsonLogger({}, (l) => lines.push(l)),
      tuning: { packBytes: 2 * 1024 * 1024, uploadsInFlight: 1, runBytes: BLOCK_SIZE * 2, readAhead: 1 },
      finalReportMs: 30_000,
      onStep: (counts) => {
        if (!killed && counts.blocksDone >= 8) {
          killed = true;
          void s3.stop();
        }
      },
    }).catch((e: Error) => e);

    await until('the agent to give up', () => lines.some((l) => JSON.parse(l).message === 'job failed'));
    await s3.restart();
    const error = await run;
    expect(killed).toBe(true);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/S3 PutObject s3:\/\/lifeboat-test\/vpgs\/web\/.* failed/);
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'job failed');
    expect(failed).toMatchObject({
      level: 'ERROR',
      service: 'lifeboat-agent',
      vpg: 'web',
      jobId: 'job-0',
      syncId: 'sync-kill',
      executionId: expect.stringMatching(/:execution:sm:sync-kill$/),
    });

    const progress = await store.getJson<AgentProgress>(job.progressKey);
    expect(progress).toMatchObject({ jobId: 'job-0', state: 'failed', blocksTotal: BLOCKS });
    expect(progress!.error).toBe(message.replace(/\s+/g, ' ').trim());
    expect(progress!.blocksDone).toBeGreaterThanOrEqual(8);
    expect(await store.getJson(job.resultKey)).toBeNull();
  });

  it('a missing plan or device fails with a message naming it', async () => {
    const store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client({ agent: true }) });
    const job = readJob('web', 'sync-noplan');
    await expect(runJob(job, { store, log: jsonLogger({}, () => {}), finalReportMs: 5000 })).rejects.toThrow(
      `block plan ${job.volumes[0].planKey} of volume vol-src is missing from the store`,
    );
    expect(await store.getJson<AgentProgress>(job.progressKey)).toMatchObject({ state: 'failed', error: expect.stringContaining('is missing') });

    const job2 = readJob('web', 'sync-nodev');
    await store.putJson(job2.volumes[0].planKey, planFor('vol-src', [0], BLOCKS * BLOCK_SIZE));
    await expect(runJob(job2, { store, env: { LIFEBOAT_DEVICE_DIR: join(dir, 'nowhere') }, deviceWaitMs: 300, log: jsonLogger({}, () => {}) })).rejects.toThrow(
      `device of volume vol-0zsat did not appear at ${join(dir, 'nowhere', deviceLinkName('vol-0zsat'))}`,
    );
  });
});

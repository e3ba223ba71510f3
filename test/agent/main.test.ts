/**
 * The agent as it ships: runtime/agent/main.ts bundled by esbuild into one file and run with node as a child
 * process, against s3rver, with the job location from --job or from a stand-in IMDS.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { bundleAgent } from '../../lib/agent-asset';
import { BLOCK_SIZE, deviceLinkName, type AgentProgress, type AgentResult, type ImportJob, type ReadJob } from '../../runtime/core/workers/agent-job';
import {
  buildManifest,
  checkpointKey,
  formatS3Url,
  importJobKey,
  importProgressKey,
  importResultKey,
  planKey,
  syncJobKey,
  syncProgressKey,
  syncResultKey,
  type ImportResult,
} from '../../runtime/core/store/format';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { startS3, type TestS3 } from '../helpers/s3rver';
import { makeSourceVolume, planFor, takesDirectIo, type SourceVolume } from './fixture';

const BLOCKS = 24;
const SIZE = BLOCKS * BLOCK_SIZE;
let s3: TestS3;
let store: S3ReplicaStore;
let dir: string;
let devices: string;
let bundle: string;
let source: SourceVolume;

beforeAll(async () => {
  s3 = await startS3();
  store = new S3ReplicaStore({ bucket: s3.bucket, client: s3.client() });
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-agent-main-'));
  devices = join(dir, 'by-id');
  mkdirSync(devices);
  // bundled exactly as the site's asset is (lib/agent-asset.ts): one file, its hash worker inside
  bundle = bundleAgent(resolve(__dirname, '../../runtime/agent/main.ts'));
  source = makeSourceVolume(join(dir, 'source.img'), BLOCKS);
  symlinkSync(source.path, join(devices, deviceLinkName('vol-0aaa')));
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(dirname(bundle), { recursive: true, force: true });
});

function runAgent(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ENDPOINT_URL: s3.endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
        LIFEBOAT_DEVICE_DIR: devices,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

const planned = Array.from({ length: BLOCKS }, (_, i) => i);
function readJob(syncId: string): ReadJob {
  return {
    kind: 'read',
    jobId: 'job-0',
    vpg: 'web',
    syncId,
    store: { bucket: s3.bucket, prefix: 'vpgs/web/' },
    progressKey: syncProgressKey('web', syncId, 'job-0'),
    resultKey: syncResultKey('web', syncId, 'job-0'),
    heartbeatSeconds: 1,
    volumes: [{ volumeId: 'vol-0aaa', sourceVolumeId: 'vol-src', sizeBytes: SIZE, planKey: planKey('web', syncId, 'vol-src') }],
  };
}

describe('agent entry point (bundled)', () => {
  let result: AgentResult;

  it('--job s3://…: reads the planned blocks, writes the result, then progress done; logs JSON lines', async () => {
    const job = readJob('sync-main-1');
    await store.putJson(job.volumes[0].planKey, planFor('vol-src', planned, SIZE));
    const jobKey = syncJobKey('web', job.syncId, job.jobId);
    await store.putJson(jobKey, job);

    const run = await runAgent(['--job', formatS3Url(s3.bucket, jobKey)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    result = (await store.getJson<AgentResult>(job.resultKey))!;
    expect(result.jobId).toBe('job-0');
    expect(result.volumes[0].blocks).toEqual(Object.fromEntries(planned.map((i) => [String(i), source.ref(i)])));
    const progress = await store.getJson<AgentProgress>(job.progressKey);
    expect(progress).toMatchObject({ state: 'done', blocksTotal: BLOCKS, blocksDone: BLOCKS, bytesRead: SIZE, bytesStored: result.volumes[0].bytesStored });
    expect(Date.parse(progress!.startedAt!)).toBeLessThanOrEqual(Date.parse(progress!.updatedAt));
    const logs = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(logs.find((l) => l.message === 'job done')).toMatchObject({ vpg: 'web', jobId: 'job-0', syncId: 'sync-main-1' });
    // the steps' field names (Powertools'), on every line of the bundled agent
    for (const l of logs)
      expect(l).toMatchObject({
        level: expect.stringMatching(/^(INFO|WARN|ERROR)$/),
        message: expect.any(String),
        timestamp: expect.any(String),
        service: 'lifeboat-agent',
      });
  });

  it('through IMDSv2: the LifeboatJob tag names an import job; the importer rebuilds the volume', async () => {
    const manifest = buildManifest({
      vpg: 'web',
      syncId: 'sync-main-1',
      createdAt: '2026-11-25T15:00:00Z',
      parentId: null,
      full: true,
      results: [result],
      volumes: [{ sourceVolumeId: 'vol-src', sourceInstanceId: 'i-1', device: '/dev/xvda', sizeBytes: SIZE, snapshotId: 'snap-1' }],
    });
    await store.commitCheckpoint(manifest);
    const target = join(dir, 'target.img');
    writeFileSync(target, '');
    truncateSync(target, SIZE);
    symlinkSync(target, join(devices, deviceLinkName('vol-0bbb')));
    const job: ImportJob = {
      kind: 'import',
      jobId: 'imp-0',
      vpg: 'web',
      executionId: 'exec-1',
      store: { bucket: s3.bucket, prefix: 'vpgs/web/' },
      progressKey: importProgressKey('web', 'exec-1', 'imp-0'),
      resultKey: importResultKey('web', 'exec-1', 'imp-0'),
      heartbeatSeconds: 1,
      volumes: [{ volumeId: 'vol-0bbb', sourceVolumeId: 'vol-src', sizeBytes: SIZE, checkpointId: manifest.id }],
    };
    const jobKey = importJobKey('web', 'exec-1', 'imp-0');
    await store.putJson(jobKey, job);

    const seen: Array<{ method?: string; url?: string; token?: string; ttl?: string }> = [];
    const imds: Server = createServer((req: IncomingMessage, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        token: req.headers['x-aws-ec2-metadata-token'] as string,
        ttl: req.headers['x-aws-ec2-metadata-token-ttl-seconds'] as string,
      });
      if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void res.end('token-42');
      if (req.headers['x-aws-ec2-metadata-token'] !== 'token-42') return void res.writeHead(401).end();
      if (req.method === 'GET' && req.url === '/latest/meta-data/tags/instance/LifeboatJob') return void res.end(formatS3Url(s3.bucket, jobKey));
      if (req.method === 'GET' && req.url === '/latest/meta-data/tags/instance') return void res.end('LifeboatJob\nlifeboat:vpg');
      if (req.method === 'GET' && req.url === '/latest/meta-data/tags/instance/lifeboat:vpg') return void res.end('web');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      const port = (imds.address() as AddressInfo).port;
      const run = await runAgent([], { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${port}/` });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    } finally {
      imds.close();
    }
    expect(seen.slice(0, 2)).toEqual([
      { method: 'PUT', url: '/latest/api/token', token: undefined, ttl: '21600' },
      { method: 'GET', url: '/latest/meta-data/tags/instance/LifeboatJob', token: 'token-42', ttl: undefined },
    ]);
    expect(seen.map((r) => r.url)).toContain('/latest/meta-data/tags/instance/lifeboat:vpg'); // its VPG was checked
    expect(readFileSync(target).equals(source.bytes)).toBe(true);
    const out = await store.getJson<ImportResult>(job.resultKey);
    const stored = planned.filter((i) => source.ref(i) !== 'zero').length;
    expect(out).toEqual({
      jobId: 'imp-0',
      volumes: [
        {
          volumeId: 'vol-0bbb',
          sourceVolumeId: 'vol-src',
          checkpointId: manifest.id,
          blocksWritten: stored,
          bytesWritten: stored * BLOCK_SIZE,
          directIo: takesDirectIo(dir),
        },
      ],
    });
    expect(await store.getJson<AgentProgress>(job.progressKey)).toMatchObject({ state: 'done', blocksDone: stored });
  });

  it('refuses a hand-made job aiming at a committed manifest before it writes anything', async () => {
    const [committed] = await store.listCheckpoints('web');
    const manifestKey = checkpointKey('web', committed.id);
    const before = await store.getBytes(manifestKey);
    const job = { ...readJob('sync-evil'), resultKey: manifestKey };
    await store.putJson(job.volumes[0].planKey, planFor('vol-src', planned, SIZE));
    const jobKey = syncJobKey('web', job.syncId, job.jobId);
    await store.putJson(jobKey, job);
    const packsBefore = (await store.listPackObjects('web')).length;

    const run = await runAgent(['--job', formatS3Url(s3.bucket, jobKey)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `lifeboat-agent: refusing agent job s3://${s3.bucket}/${jobKey} (nothing was written): resultKey "${manifestKey}" is not this job's own key`,
    );
    expect((await store.getBytes(manifestKey))!.equals(before!)).toBe(true);
    expect(await store.getJson(job.progressKey)).toBeNull();
    expect((await store.listPackObjects('web')).length).toBe(packsBefore);
  });

  it("refuses a job of another VPG than the instance's lifeboat:vpg tag (through IMDS)", async () => {
    const job = readJob('sync-other-vpg');
    await store.putJson(job.volumes[0].planKey, planFor('vol-src', planned, SIZE));
    const jobKey = syncJobKey('web', job.syncId, job.jobId);
    await store.putJson(jobKey, job);
    const imds: Server = createServer((req: IncomingMessage, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('t');
      if (req.url === '/latest/meta-data/tags/instance/LifeboatJob') return void res.end(formatS3Url(s3.bucket, jobKey));
      if (req.url === '/latest/meta-data/tags/instance') return void res.end('LifeboatJob\nlifeboat:vpg');
      if (req.url === '/latest/meta-data/tags/instance/lifeboat:vpg') return void res.end('db');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => imds.listen(0, '127.0.0.1', r));
    try {
      const run = await runAgent([], { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(imds.address() as AddressInfo).port}/` });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('the job is for VPG "web", but this instance is tagged lifeboat:vpg=db');
    } finally {
      imds.close();
    }
    expect(await store.getJson(job.progressKey)).toBeNull();
  });

  it('exits non-zero with one line on stderr, and progress failed, when the job cannot run', async () => {
    const job = readJob('sync-main-2'); // its plan was never written
    const jobKey = syncJobKey('web', job.syncId, job.jobId);
    await store.putJson(jobKey, job);
    const run = await runAgent(['--job', formatS3Url(s3.bucket, jobKey)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`lifeboat-agent: block plan ${job.volumes[0].planKey} of volume vol-src is missing from the store\n`);
    expect(await store.getJson<AgentProgress>(job.progressKey)).toMatchObject({ state: 'failed', error: expect.stringContaining('is missing') });

    const missing = await runAgent(['--job', formatS3Url(s3.bucket, 'vpgs/web/syncs/none/jobs/x.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`lifeboat-agent: job s3://${s3.bucket}/vpgs/web/syncs/none/jobs/x.json does not exist\n`);
    const bad = await runAgent(['--job']);
    expect(bad.stderr).toBe('lifeboat-agent: --job needs a value: s3://bucket/key\n');
  });
});

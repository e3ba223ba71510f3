/**
 * A booted instance's block devices are paced as EBS paces them (src/ec2/guest/device-rates.js): the model's
 * delays in virtual milliseconds (no wall clock), and the preload in a real guest-like process whose worker thread
 * reads with readSync, as the zSAT agent's hash pool does.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootUserData } from './helpers/ec2-boot-script';
import { type Ec2Harness, pollUntil, startEc2 } from './helpers/ec2-harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rates = require('../src/ec2/guest/device-rates.js') as {
  BLOCK: number;
  newState(facts: Facts): State;
  delayFor(facts: Facts, state: State, name: string, offset: number, length: number, kind: 'read' | 'write', now: number): number;
  rankOf(init: NonNullable<Device['initialization']>, block: number): number;
};

interface Device {
  volumeId: string;
  sizeBytes: number;
  throughputMiBps: number;
  targetPath?: string;
  initialization?: { rateMiBps: number; bytes: number; startedAtMs: number; ranges?: Array<[number, number]> };
}
interface Facts {
  instance: { instanceType: string; baselineMiBps: number; maximumMiBps: number; burstSeconds: number; known: boolean };
  devices: Record<string, Device>;
}
type State = { buffer: SharedArrayBuffer };

const MIB = 1024 * 1024;
const FAST = { instanceType: 'c6i.large', baselineMiBps: 10_000, maximumMiBps: 10_000, burstSeconds: 1800, known: true };

function model(devices: Record<string, Device>, instance = FAST) {
  const facts: Facts = { instance, devices };
  const state = rates.newState(facts);
  return (name: string, offset: number, length: number, now: number, kind: 'read' | 'write' = 'read') =>
    rates.delayFor(facts, state, name, offset, length, kind, now);
}

const fromSnapshot = (rateMiBps: number, throughputMiBps = 1000, startedAtMs = 0): Device => ({
  volumeId: 'vol-a',
  sizeBytes: 64 * MIB,
  throughputMiBps,
  initialization: { rateMiBps, bytes: 64 * MIB, startedAtMs },
});

test("a volume from a snapshot reads its first pass at the initialization rate, the second at the volume's throughput", () => {
  const io = model({ a: fromSnapshot(40, 125) });
  expect(io('a', 0, 8 * MIB, 0)).toBeCloseTo((8 / 40) * 1000, 6); // 200 ms: fetched from S3 at 40 MiB/s
  expect(io('a', 0, 8 * MIB, 1000)).toBeCloseTo((8 / 125) * 1000, 6); // 64 ms: initialized, gp3's 125 MiB/s
});

test('with VolumeInitializationRate the first read goes at the provisioned rate', () => {
  const io = model({ a: fromSnapshot(200) });
  expect(io('a', 0, 8 * MIB, 0)).toBeCloseTo((8 / 200) * 1000, 6);
});

test('an empty volume needs no initialization: reads at its throughput cap', () => {
  const io = model({ a: { volumeId: 'vol-e', sizeBytes: 64 * MIB, throughputMiBps: 125 } });
  expect(io('a', 0, 8 * MIB, 0)).toBeCloseTo((8 / 125) * 1000, 6);
});

test('background initialization has pulled the blocks it reached: those read at the throughput', () => {
  // 800 ms at 40 MiB/s = 32 MiB of the 64 MiB volume pulled in the background
  const io = model({ a: fromSnapshot(40, 1000, 0) });
  expect(io('a', 0, 8 * MIB, 800)).toBeCloseTo((8 / 1000) * 1000, 6);
  expect(io('a', 48 * MIB, 8 * MIB, 10_000)).toBeGreaterThan(0);
  const fresh = model({ a: fromSnapshot(40, 1000, 0) });
  expect(fresh('a', 48 * MIB, 8 * MIB, 800)).toBeCloseTo((8 / 40) * 1000, 6);
});

test('a block the snapshot never wrote reads as zeros with no fetch; a written one is fetched, and the stream it shares keeps the total at the rate', () => {
  // 4 MiB written at blocks 0-7 of a 64 MiB volume
  const sparse: Device = {
    volumeId: 'vol-s',
    sizeBytes: 64 * MIB,
    throughputMiBps: 1000,
    initialization: { rateMiBps: 40, bytes: 4 * MIB, startedAtMs: 0, ranges: [[0, 8]] },
  };
  const io = model({ a: sparse });
  expect(io('a', 32 * MIB, 8 * MIB, 0)).toBeCloseTo((8 / 1000) * 1000, 6); // never written: the throughput alone
  expect(io('a', 0, 4 * MIB, 0)).toBeCloseTo((4 / 40) * 1000, 6); // written: fetched at 40 MiB/s
  // half the stream's time has passed (50 ms = 2 MiB) and the first read took all of it: nothing more was pulled
  const again = model({ a: sparse });
  expect(again('a', 0, 2 * MIB, 0)).toBeCloseTo(50, 6);
  expect(again('a', 2 * MIB, 2 * MIB, 50)).toBeCloseTo(50, 6);
});

test("a block's rank among the snapshot's written blocks, over many ranges, is its count of written blocks before it (-1 when unwritten)", () => {
  const ranges: Array<[number, number]> = [
    [0, 3],
    [5, 6],
    [10, 20],
    [21, 22],
    [100, 164],
  ];
  const written = new Set(ranges.flatMap(([a, z]) => Array.from({ length: z - a }, (_, i) => a + i)));
  const init = { rateMiBps: 40, bytes: written.size * rates.BLOCK, startedAtMs: 0, ranges };
  for (let b = 0; b < 200; b++) {
    const expected = written.has(b) ? [...written].filter((w) => w < b).length : -1;
    expect(rates.rankOf(init, b)).toBe(expected);
  }
});

test("the instance's EBS bandwidth caps two volumes read together; past its burst it falls to the baseline", () => {
  const empty = (id: string): Device => ({ volumeId: id, sizeBytes: 64 * MIB, throughputMiBps: 1000 });
  const io = model({ a: empty('vol-1'), b: empty('vol-2') }, { ...FAST, maximumMiBps: 100, baselineMiBps: 10, burstSeconds: 0.16 });
  expect(io('a', 0, 8 * MIB, 0)).toBeCloseTo(80, 6); // 8 MiB at 100 MiB/s
  expect(io('b', 0, 8 * MIB, 0)).toBeCloseTo(160, 6); // shares the instance's bandwidth: after the first
  expect(io('a', 8 * MIB, 1 * MIB, 160)).toBeCloseTo(100, 6); // burst spent (160 ms): 1 MiB at 10 MiB/s
});

test('writes count against throughput and bandwidth, and a written block needs no fetch afterwards', () => {
  const io = model({ a: fromSnapshot(40, 125) });
  expect(io('a', 0, 8 * MIB, 0, 'write')).toBeCloseTo(64, 6);
  expect(io('a', 0, 8 * MIB, 1000)).toBeCloseTo(64, 6);
});

test("in a guest process the preload paces a worker thread's readSync with the state the main thread shares", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-device-rates-'));
  const volume = path.join(dir, 'volume');
  fs.writeFileSync(volume, Buffer.alloc(4 * MIB, 7));
  // background initialization starts later than this test runs, so every block's first read is a fetch (at 400 MiB/s)
  const later = Date.now() + 3_600_000;
  const facts: Facts = {
    instance: FAST,
    devices: { 'nvme-dev': { ...fromSnapshot(400, 1000, later), sizeBytes: 4 * MIB, targetPath: fs.realpathSync(volume) } },
  };
  const factsFile = path.join(dir, 'facts.json');
  fs.writeFileSync(factsFile, JSON.stringify(facts));
  const script = `
    const { Worker } = require('node:worker_threads');
    const w = new Worker(\`
      const { readSync, openSync } = require('node:fs');
      const fd = openSync(${JSON.stringify(volume)}, 'r');
      const buf = Buffer.alloc(${MIB});
      let n = 0;
      for (let i = 0; i < 4; i++) n += readSync(fd, buf, 0, buf.length, i * ${MIB});
      require('node:worker_threads').parentPort.postMessage(n);
    \`, { eval: true });
    w.on('message', (n) => { console.log(JSON.stringify({ n, pacing: process.lifeboatDevicePacing() })); w.terminate(); });
  `;
  const preload = path.join(__dirname, '../src/ec2/guest/device-rates.js');
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, NODE_OPTIONS: `--require ${preload}`, LIFEBOAT_DEVICE_RATES: factsFile },
    encoding: 'utf8',
  });
  expect(run.stderr).toBe('');
  const out = JSON.parse(run.stdout.trim()) as { n: number; pacing: { fetchedBytes: number; pacedBytes: number; delayedMs: number } };
  expect(out.n).toBe(4 * MIB);
  expect(out.pacing.pacedBytes).toBe(4 * MIB); // the worker's reads were paced, in the main thread's shared state
  expect(out.pacing.fetchedBytes).toBe(4 * MIB); // each block's first read was a fetch
  expect(out.pacing.delayedMs).toBeGreaterThan(0);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('through EC2: an instance reads volumes made from a snapshot at their initialization rate', () => {
  const READER = `
const fs = require('fs');
const path = require('path');
const dir = process.env.LIFEBOAT_DEVICE_DIR;
const CHUNK = 1024 * 1024;
const wanted = Number(process.env.WANTED || 2);
function readAll(file, bytes) {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(CHUNK);
  const t0 = Date.now();
  for (let at = 0; at < bytes; at += CHUNK) fs.readSync(fd, buf, 0, CHUNK, at);
  fs.closeSync(fd);
  return { took: Date.now() - t0, end: Date.now() };
}
const timer = setInterval(() => {
  const links = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  if (links.length < 2) return;
  clearInterval(timer);
  const took = {};
  for (const link of links.sort()) took[link] = readAll(path.join(dir, link), ${32} * CHUNK);
  fs.writeFileSync('reads.json.tmp', JSON.stringify(took));
  fs.renameSync('reads.json.tmp', 'reads.json');
}, 20);
`;
  let h: Ec2Harness;
  beforeAll(async () => {
    h = await startEc2({ s3Objects: { 'assets/reader.js': READER } });
  });
  afterAll(() => h.close());

  test('32 MiB written: the read ends no sooner than 32 MiB at 40 MiB/s after the volume was created, or at 300 MiB/s when provisioned', async () => {
    const az = 'us-east-1a';
    const source = (await h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, Size: 1 }))).VolumeId!;
    h.storage.writeVolume(source, 0, crypto.randomBytes(32 * MIB));
    const snap = (await h.client.send(new CreateSnapshotCommand({ VolumeId: source }))).SnapshotId!;
    await pollUntil(
      async () => ((await h.client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap] }))).Snapshots![0].State === 'completed' ? true : undefined),
      'the snapshot',
    );
    const lazyVolume = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: snap }));
    const provisionedVolume = await h.client.send(new CreateVolumeCommand({ AvailabilityZone: az, SnapshotId: snap, VolumeInitializationRate: 300 }));
    const [lazy, provisioned] = [lazyVolume.VolumeId!, provisionedVolume.VolumeId!];
    const run = await h.client.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        ImageId: 'ami-0lifeboat0offline',
        InstanceType: 'c6i.large',
        Placement: { AvailabilityZone: az },
        UserData: bootUserData('assets', 'reader.js'),
      }),
    );
    const instanceId = run.Instances![0].InstanceId!;
    await pollUntil(
      async () =>
        (await h.client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0].State!.Name === 'running'
          ? true
          : undefined,
      'running',
    );
    for (const [volumeId, device] of [
      [lazy, '/dev/sdf'],
      [provisioned, '/dev/sdg'],
    ]) {
      await pollUntil(
        async () => ((await h.client.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0].State === 'available' ? true : undefined),
        'available',
      );
      await h.client.send(new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: device }));
    }
    const reads = await pollUntil(
      () => {
        try {
          return JSON.parse(fs.readFileSync(path.join(h.ec2.instanceDir(instanceId), 'reads.json'), 'utf8')) as Record<string, { took: number; end: number }>;
        } catch {
          return undefined;
        }
      },
      'the guest to read both volumes',
      30_000,
    );
    const took = (volumeId: string) => reads[Object.keys(reads).find((link) => link.endsWith(volumeId.replace('-', '')))!];
    // Initialization delivers the 64 written blocks at the rate from the volume's creation (in the background, and a
    // first read's block ahead of the rest): a floor on when the read ends, whatever this machine's disk does.
    const created = (v: { CreateTime?: Date }) => v.CreateTime!.getTime();
    expect(took(lazy).end - created(lazyVolume)).toBeGreaterThanOrEqual((32 / 40) * 1000 - 5);
    expect(took(provisioned).end - created(provisionedVolume)).toBeGreaterThanOrEqual((32 / 300) * 1000 - 5);
    // and neither reads faster than gp3's 125 MiB/s baseline throughput, initialized or not
    for (const volumeId of [lazy, provisioned]) expect(took(volumeId).took).toBeGreaterThanOrEqual((32 / 125) * 1000 - 5);
  }, 60_000);
});

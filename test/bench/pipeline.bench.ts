/**
 * Figures 1 and 2: the agent's read pipeline (device → hash → packs → store) and the importer's write
 * pipeline (store → verify → device), each against `openssl dgst -sha256` and `cat > /dev/null` of the
 * same planned bytes, measured in the same run. Each is run several times; best and spread are printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { BLOCK_SIZE, ZERO_BLOCK, type BlockRef } from '../../runtime/core/workers/agent-job';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { HashPool } from '../../runtime/agent/hash-pool';
import { readVolumeBlocks } from '../../runtime/agent/reader';
import { importVolume } from '../../runtime/agent/importer';
import { startTestCloud, clientConfig } from '@lifeboat/offline-cloud/src/testing';
import { InProcessS3 } from './s3-sinks';
import { buildVolume } from './volume-fixture';
import { onNewLoopDevice, type LoopResult } from './loop-device';
import { mibPerSecond, summarize, type Samples } from './figures';

const MiB = 1024 * 1024;
const VPG = 'bench';

export interface PipelineFigures {
  readonly volumeBytes: number;
  readonly plannedBytes: number;
  readonly zeroBlocks: number;
  readonly duplicateBlocks: number;
  readonly openssl: Samples;
  readonly cat: Samples;
  readonly read: Samples;
  readonly readPeakRssMiB: number;
  readonly readOfflineCloud: Samples;
  readonly importer: Samples;
  readonly importToDisk: Samples;
  /** Whether the import onto the disk (a new file there) used direct I/O. */
  readonly importToDiskDirectIo: boolean;
  /** Onto /dev/null: the importer's own work, the device costing nothing. */
  readonly importToNull: Samples;
  /** Onto a new loop block device over this VM's disk, with O_DIRECT and through the page cache. */
  readonly importToBlockDevice: { readonly direct: ImportRun | Unavailable; readonly pageCache: ImportRun | Unavailable };
  /** `dd if=/dev/zero … conv=fsync` of the same byte count: the disk's own limit. */
  readonly diskWrite: Samples;
  readonly importPeakRssMiB: number;
  readonly bytesStored: number;
  readonly bytesRead: number;
  readonly sinkPuts: number;
  /** CPU seconds (user + system, all threads) per GiB: what each costs whatever the machine's load. */
  readonly cpuSecondsPerGiB: { readonly openssl: number; readonly read: number; readonly importer: number; readonly importerToNull: number };
}

export interface ImportRun {
  readonly mibs: number;
  readonly cpuSecondsPerGiB: number;
  /** The whole machine's, kernel threads included (the loop device's and the page cache's writeback run there). */
  readonly machineCpuSecondsPerGiB: number;
  readonly directIo: boolean;
}
type Unavailable = Exclude<LoopResult<never>, { device: string }>;

function timed(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** openssl's own CPU time (bash's `time` reports the child's user + system seconds). */
function opensslCpuSeconds(file: string): number {
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='%U %S'; time openssl dgst -sha256 '${file}' > /dev/null`], { encoding: 'utf8' });
  const [user, sys] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
  return user + sys;
}

/** CPU seconds the whole machine has spent busy (every process and kernel thread; idle, I/O wait and steal left out). */
function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return (user + nice + system + irq + softirq) / 100; // USER_HZ
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T; peakRss: number; cpuSeconds: number; machineCpuSeconds: number }> {
  const machine = machineBusySeconds();
  const cpu = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 10);
  const t = process.hrtime.bigint();
  try {
    const value = await fn();
    const used = process.cpuUsage(cpu);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    return {
      seconds,
      value,
      peakRss: Math.max(peakRss, process.memoryUsage.rss()),
      cpuSeconds: (used.user + used.system) / 1e6,
      machineCpuSeconds: machineBusySeconds() - machine,
    };
  } finally {
    clearInterval(sampler);
  }
}

export interface PipelineOptions {
  readonly volumeBytes: number;
  readonly runs: number;
  /** Also import onto new loop block devices over this VM's disk (a few seconds: not in --quick). */
  readonly blockDevice: boolean;
  readonly log: (line: string) => void;
}

export async function benchPipelines(opts: PipelineOptions): Promise<PipelineFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-bench-'));
  try {
    return await run(dir, opts);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function run(dir: string, { volumeBytes, runs, blockDevice: measureBlockDevice, log }: PipelineOptions): Promise<PipelineFigures> {
  const fixture = buildVolume(dir, volumeBytes);
  const plannedBytes = fixture.plan.blocks.length * BLOCK_SIZE;
  log(
    `volume ${volumeBytes / MiB} MiB, ${fixture.plan.blocks.length} planned blocks (${plannedBytes / MiB} MiB; ${fixture.zeroBlocks} zero, ${fixture.duplicateBlocks} duplicates)`,
  );

  // Baselines over the same planned bytes, from the page cache (warmed first) like the device file.
  execFileSync('sh', ['-c', `cat '${fixture.payloadPath}' '${fixture.devicePath}' > /dev/null`]);
  const openssl: number[] = [],
    cat: number[] = [];
  for (let i = 0; i < runs; i++) {
    openssl.push(
      mibPerSecond(
        plannedBytes,
        timed(() => spawnSync('openssl', ['dgst', '-sha256', fixture.payloadPath], { stdio: 'ignore' })),
      ),
    );
    cat.push(
      mibPerSecond(
        plannedBytes,
        timed(() => spawnSync('sh', ['-c', `cat '${fixture.payloadPath}' > /dev/null`], { stdio: 'ignore' })),
      ),
    );
  }

  const GiB = 1024 * MiB;
  const opensslCpu = Math.min(...Array.from({ length: runs }, () => opensslCpuSeconds(fixture.payloadPath))) / (plannedBytes / GiB);
  let readCpu = Infinity;
  const pool = new HashPool();
  try {
    // Read pipeline into the null sink (real S3ReplicaStore and SDK client, no network). One untimed run
    // first: a zSAT reads for minutes, so the figure is its steady state, not the JIT's and allocator's warm-up.
    await readVolumeBlocks({
      devicePath: fixture.devicePath,
      plan: fixture.plan,
      store: new S3ReplicaStore({ bucket: 'bench', client: new InProcessS3(false).client() }),
      vpg: VPG,
      pool,
    });
    const read: number[] = [];
    let readPeak = 0,
      bytesStored = 0,
      bytesRead = 0,
      sinkPuts = 0;
    for (let i = 0; i < runs; i++) {
      const sink = new InProcessS3(false);
      const store = new S3ReplicaStore({ bucket: 'bench', client: sink.client() });
      const r = await timedAsync(() => readVolumeBlocks({ devicePath: fixture.devicePath, plan: fixture.plan, store, vpg: VPG, pool }));
      read.push(mibPerSecond(plannedBytes, r.seconds));
      readPeak = Math.max(readPeak, r.peakRss);
      readCpu = Math.min(readCpu, r.cpuSeconds / (plannedBytes / GiB));
      bytesStored = r.value.bytesStored;
      bytesRead = r.value.bytesRead;
      sinkPuts = sink.stats.puts;
    }

    // One more read into a keeping sink: the packs the importer then restores.
    const keeper = new InProcessS3(true);
    const keepStore = new S3ReplicaStore({ bucket: 'bench', client: keeper.client() });
    const result = await readVolumeBlocks({ devicePath: fixture.devicePath, plan: fixture.plan, store: keepStore, vpg: VPG, pool });
    const blockMap = new Map<number, BlockRef>(Object.entries(result.blocks).map(([k, v]) => [Number(k), v]));
    const written = [...blockMap.values()].filter((r) => r !== ZERO_BLOCK).length * BLOCK_SIZE;
    let importPeak = 0;
    const importOnto = async (target: string, { check = false, directIo }: { check?: boolean; directIo?: boolean } = {}): Promise<ImportRun> => {
      const held = keeper.heldBytes();
      const r = await timedAsync(() =>
        importVolume({ devicePath: target, directIo, blockMap, sizeBytes: volumeBytes, store: keepStore, vpg: VPG, blank: true, pool }),
      );
      if (r.value.bytesWritten !== written) throw new Error(`import wrote ${r.value.bytesWritten} bytes, expected ${written}`);
      importPeak = Math.max(importPeak, r.peakRss - held);
      // The restore must equal the source device byte for byte (unplanned blocks are holes, or zeros, in both).
      if (check && spawnSync('cmp', ['-s', '-n', String(volumeBytes), fixture.devicePath, target]).status !== 0)
        throw new Error(`the image restored onto ${target} differs from the source device`);
      const gib = written / GiB;
      return {
        mibs: mibPerSecond(written, r.seconds),
        cpuSecondsPerGiB: r.cpuSeconds / gib,
        machineCpuSecondsPerGiB: r.machineCpuSeconds / gib,
        directIo: r.value.directIo,
      };
    };
    const importOntoNewFile = async (targetDir: string, check: boolean) => {
      const target = path.join(targetDir, `lifeboat-bench-target-${process.pid}.img`);
      fs.writeFileSync(target, '');
      fs.truncateSync(target, volumeBytes);
      try {
        return await importOnto(target, { check });
      } finally {
        fs.rmSync(target, { force: true });
      }
    };
    // The pipeline figure: the target in RAM (tmpfs, through the page cache), so the figure is the importer's, not this VM's disk.
    const ramDir = fs.existsSync('/dev/shm') ? '/dev/shm' : dir;
    await importOntoNewFile(ramDir, true); // untimed warm-up, as for the read; it also checks the restore byte for byte
    // Timed runs of one import: their rates, and the least CPU per GiB any of them took.
    const sampled = async (once: () => Promise<ImportRun>) => {
      const done: ImportRun[] = [];
      for (let i = 0; i < runs; i++) done.push(await once());
      return { rates: summarize(done.map((r) => r.mibs)), cpuSecondsPerGiB: Math.min(...done.map((r) => r.cpuSecondsPerGiB)) };
    };
    const importer = await sampled(() => importOntoNewFile(ramDir, false));
    // The importer's own work: onto /dev/null, a device that costs nothing (as the read's null sink is a store that costs nothing).
    const importToNull = await sampled(() => importOnto('/dev/null'));
    // Onto a real block device, each time a new one: direct I/O (the ZImporter's way onto a device) and the page cache.
    const ontoBlockDevice = async (directIo: boolean): Promise<ImportRun | Unavailable> => {
      if (!measureBlockDevice) return { unavailable: 'not in --quick' };
      const r = await onNewLoopDevice(dir, volumeBytes, (device) => importOnto(device, { check: true, directIo }));
      if ('unavailable' in r) return r;
      if (r.value.directIo !== directIo) throw new Error(`the import onto ${r.device} ${directIo ? 'did not use' : 'used'} direct I/O`);
      return r.value;
    };
    const blockDevice = { direct: await ontoBlockDevice(true), pageCache: await ontoBlockDevice(false) };
    // And onto this machine's disk, fsync included, beside the disk's own limit (dd with fsync).
    const onDisk = await importOntoNewFile(dir, false);
    const importToDisk = summarize([onDisk.mibs]);
    const ddFile = path.join(dir, 'dd.bin');
    const ddSeconds = timed(() =>
      spawnSync('dd', ['if=/dev/zero', `of=${ddFile}`, 'bs=8M', `count=${Math.ceil(written / (8 * MiB))}`, 'conv=fsync'], { stdio: 'ignore' }),
    );
    const diskWrite = summarize([mibPerSecond(Math.ceil(written / (8 * MiB)) * 8 * MiB, ddSeconds)]);
    fs.rmSync(ddFile, { force: true });

    // The same read into the offline cloud's S3 (s3rver): far more CPU per byte than S3 itself.
    const cloud = await startTestCloud();
    const readOfflineCloud: number[] = [];
    try {
      await cloud.s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
      const client = new S3Client({ ...clientConfig(cloud.url), forcePathStyle: true });
      const store = new S3ReplicaStore({ bucket: 'bench', client });
      const r = await timedAsync(() => readVolumeBlocks({ devicePath: fixture.devicePath, plan: fixture.plan, store, vpg: VPG, pool }));
      readOfflineCloud.push(mibPerSecond(plannedBytes, r.seconds));
      client.destroy();
    } finally {
      await cloud.stop();
    }

    return {
      volumeBytes,
      plannedBytes,
      zeroBlocks: fixture.zeroBlocks,
      duplicateBlocks: fixture.duplicateBlocks,
      openssl: summarize(openssl),
      cat: summarize(cat),
      read: summarize(read),
      readPeakRssMiB: readPeak / MiB,
      readOfflineCloud: summarize(readOfflineCloud),
      importer: importer.rates,
      importToDisk,
      importToDiskDirectIo: onDisk.directIo,
      importToNull: importToNull.rates,
      importToBlockDevice: blockDevice,
      diskWrite,
      importPeakRssMiB: importPeak / MiB,
      bytesStored,
      bytesRead,
      sinkPuts,
      cpuSecondsPerGiB: { openssl: opensslCpu, read: readCpu, importer: importer.cpuSecondsPerGiB, importerToNull: importToNull.cpuSecondsPerGiB },
    };
  } finally {
    await pool.close();
  }
}

/**
 * How fast a booted instance may read and write its attached volumes, as EBS and the instance's EBS bandwidth allow
 * (the cloud side: AWS's figures and the facts a guest's block devices are paced by, guest/device-rates.js):
 * - a volume's throughput, by type and size (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html):
 *   gp3 125 MiB/s baseline unless Throughput provisions up to 2,000 MiB/s; gp2 128 MiB/s up to 170 GiB and
 *   250 MiB/s above (the burst-bucket range between is taken at 250); io1/io2 1,000 MiB/s; st1 40 MiB/s per TiB
 *   up to 500; sc1 12 MiB/s per TiB up to 250;
 * - the instance type's EBS bandwidth, baseline and maximum: instances "can support maximum performance for 30
 *   minutes at least once every 24 hours" before falling back to the baseline
 *   (https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html, co.html, ...; "Amazon EBS specifications";
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ebs-optimized.html);
 * - a volume from a snapshot serves a block's first read at its initialization rate (provisioned, or the modelled
 *   default of aws-rates.ts VOLUME_INITIALIZATION), unless background initialization already pulled it
 *   (https://docs.aws.amazon.com/ebs/latest/userguide/initalize-volume.html). An empty volume needs none.
 */
import { VOLUME_INITIALIZATION, limitsOf } from '../aws-rates';
import type { CloudContext } from '../context';
import type { InstanceRecord, VolumeRecord } from './model';
import { EBS_BLOCK_BYTES } from './volume-status';

const GIB = 1024 ** 3;

/** Mbps (as AWS's tables give EBS bandwidth) → MiB/s. */
const mbps = (n: number) => (n * 1e6) / 8 / 1024 ** 2;

/** Baseline and maximum EBS bandwidth in Mbps, from the instance type tables, for the types Lifeboat and its tests use. */
export const EBS_BANDWIDTH_MBPS: Readonly<Record<string, readonly [baseline: number, maximum: number]>> = {
  't3.nano': [43, 2085],
  't3.micro': [87, 2085],
  't3.small': [174, 2085],
  't3.medium': [347, 2085],
  't3.large': [695, 2780],
  't3.xlarge': [695, 2780],
  't4g.micro': [87, 2085],
  't4g.small': [174, 2085],
  'm5.large': [650, 4750],
  'm5.xlarge': [1150, 4750],
  'm5.2xlarge': [2300, 4750],
  'c5.large': [650, 4750],
  'c5.xlarge': [1150, 4750],
  'm6i.large': [650, 10000],
  'm6i.xlarge': [1250, 10000],
  'c6i.large': [650, 10000],
  'c6i.xlarge': [1250, 10000],
  'm7i.large': [650, 10000],
  'm7g.large': [630, 10000],
};

/** A type the table does not name gets a small Nitro type's figures (a conservative guess, said in the facts). */
export const UNKNOWN_TYPE_BANDWIDTH_MBPS: readonly [number, number] = [650, 4750];

/** Seconds of maximum bandwidth before an instance falls back to its baseline. */
export const BANDWIDTH_BURST_SECONDS = 30 * 60;

export function volumeThroughputMiBps(v: Pick<VolumeRecord, 'volumeType' | 'size' | 'throughput'>): number {
  switch (v.volumeType) {
    case 'gp3':
      return v.throughput ?? 125;
    case 'gp2':
      return v.size <= 170 ? 128 : 250;
    case 'io1':
    case 'io2':
      return 1000;
    case 'st1':
      return Math.min(500, 40 * (v.size / 1024));
    case 'sc1':
      return Math.min(250, 12 * (v.size / 1024));
    default:
      return 125;
  }
}

export interface DeviceFacts {
  volumeId: string;
  /** The volume's storage file, as /proc/self/fd names it (the guest finds an fd's device by it). */
  targetPath?: string;
  sizeBytes: number;
  throughputMiBps: number;
  /** Absent for an empty volume. `ranges`: the snapshot's written blocks, [start, end) block indexes in order. */
  initialization?: { rateMiBps: number; bytes: number; startedAtMs: number; ranges: Array<[number, number]> };
}

export interface GuestDeviceFacts {
  instance: { instanceType: string; baselineMiBps: number; maximumMiBps: number; burstSeconds: number; known: boolean };
  /** By device link name (deviceLinkName). */
  devices: Record<string, DeviceFacts>;
}

/** Sorted block indexes as [start, end) ranges (a snapshot's written blocks, compactly). */
export function blockRanges(indexes: Iterable<number>): Array<[number, number]> {
  const sorted = [...indexes].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (const i of sorted) {
    const last = ranges.at(-1);
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i, i + 1]);
  }
  return ranges;
}

export function guestDeviceFacts(
  ctx: CloudContext,
  inst: InstanceRecord,
  volumes: readonly VolumeRecord[],
  linkName: (volumeId: string) => string,
): GuestDeviceFacts {
  const known = EBS_BANDWIDTH_MBPS[inst.instanceType];
  const [baseline, maximum] = known ?? UNKNOWN_TYPE_BANDWIDTH_MBPS;
  const devices: Record<string, DeviceFacts> = {};
  for (const v of volumes) {
    const needsInit = v.snapshotId !== undefined && (v.initializationBytes ?? 0) > 0;
    devices[linkName(v.volumeId)] = {
      volumeId: v.volumeId,
      sizeBytes: v.size * GIB,
      throughputMiBps: volumeThroughputMiBps(v),
      initialization: needsInit
        ? {
            rateMiBps: v.initializationRate ?? limitsOf(ctx).defaultInitializationMiBps ?? VOLUME_INITIALIZATION.defaultMiBps,
            bytes: v.initializationBytes!,
            startedAtMs: v.initializationStartedAt ?? v.createdAt,
            ranges: v.initializationRanges ?? [[0, Math.ceil(v.initializationBytes! / EBS_BLOCK_BYTES)]],
          }
        : undefined,
    };
  }
  return {
    instance: {
      instanceType: inst.instanceType,
      baselineMiBps: mbps(baseline),
      maximumMiBps: mbps(maximum),
      burstSeconds: BANDWIDTH_BURST_SECONDS,
      known: known !== undefined,
    },
    devices,
  };
}

/**
 * Volume initialization, API side: CreateVolume's and a block device mapping's VolumeInitializationRate,
 * and DescribeVolumeStatus' `initialization-state` detail and InitializationStatusDetails. A volume from a
 * snapshot pulls the snapshot's written blocks at its provisioned rate, or at the modelled default rate
 * (src/aws-rates.ts VOLUME_INITIALIZATION); an empty volume needs no initialization.
 * https://docs.aws.amazon.com/ebs/latest/userguide/initalize-volume.html
 * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-initialize-monitor.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVolumeStatus.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InitializationStatusDetails.html
 */
import { VOLUME_INITIALIZATION, limitsOf } from '../aws-rates';
import { AwsError } from '../service';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import type { VolumeRecord } from './model';
import type { ActionHandler, World } from './world';

/** EBS snapshots are stored in 512 KiB blocks. */
export const EBS_BLOCK_BYTES = 524288;
const MIB = 1024 * 1024;

/**
 * AWS documents the 100–300 MiB/s range and that the rate is "supported only for volumes created from
 * snapshots" (a 400 otherwise); it publishes no error text, so these codes follow EC2's usual ones.
 */
export function checkInitializationRate(rate: number | undefined, snapshotId: string | undefined): void {
  if (rate === undefined) return;
  if (!snapshotId) {
    throw new AwsError('InvalidParameterCombination', 'VolumeInitializationRate can be specified only when creating a volume from a snapshot.');
  }
  const { minProvisionedMiBps: min, maxProvisionedMiBps: max } = VOLUME_INITIALIZATION;
  if (!Number.isInteger(rate) || rate < min || rate > max) {
    throw new AwsError('InvalidParameterValue', `Invalid value '${rate}' for VolumeInitializationRate. Valid range: ${min} - ${max} MiB/s.`);
  }
}

export interface Initialization {
  type: 'default' | 'provisioned-rate';
  progress: number;
  /** Seconds left; only for a provisioned rate, as AWS reports it. */
  estimatedSeconds?: number;
}

/** undefined for an empty volume (AWS reports nothing for one). */
export function initializationOf(w: World, v: VolumeRecord): Initialization | undefined {
  if (!v.snapshotId) return undefined;
  const bytes = v.initializationBytes ?? 0;
  const mibps = v.initializationRate ?? limitsOf(w.ctx).defaultInitializationMiBps;
  const totalSeconds = bytes / (mibps * MIB);
  const elapsed = Math.max(0, (w.ctx.clock.now() - (v.initializationStartedAt ?? v.createdAt)) / 1000);
  const progress = totalSeconds === 0 ? 100 : Math.min(100, Math.floor((100 * elapsed) / totalSeconds));
  const type = v.initializationRate !== undefined ? 'provisioned-rate' : 'default';
  const estimatedSeconds = type === 'provisioned-rate' ? Math.max(0, Math.ceil(totalSeconds - elapsed)) : undefined;
  return { type, progress, estimatedSeconds: progress === 100 && estimatedSeconds !== undefined ? 0 : estimatedSeconds };
}

function details(w: World, v: VolumeRecord): Array<{ name: string; status: string }> {
  const init = initializationOf(w, v);
  const list = [
    { name: 'io-enabled', status: 'passed' },
    { name: 'io-performance', status: 'not-applicable' },
  ];
  if (init) list.push({ name: 'initialization-state', status: init.progress < 100 ? 'initializing' : 'completed' });
  return list;
}

const FIELDS: FieldMap<VolumeRecord> = {
  'volume-id': (v) => v.volumeId,
  'availability-zone': (v) => v.availabilityZone,
  'volume-status.status': () => 'ok',
  'volume-status.details-name': () => ['io-enabled', 'io-performance', 'initialization-state'],
};

export const describeVolumeStatus: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.volumes),
    idOf: (v) => v.volumeId,
    tagsOf: (v) => v.tags,
    fields: FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'VolumeId',
    idFilter: 'volume-id',
    notFound: notFoundError('InvalidVolume.NotFound', (ids) => `The volume '${ids}' does not exist.`),
    createdAt: (v) => v.createdAt,
  });
  return {
    volumeStatusSet: page.items.map((v) => {
      const init = initializationOf(w, v);
      return {
        volumeId: v.volumeId,
        availabilityZone: v.availabilityZone,
        volumeStatus: { status: 'ok', details: details(w, v) },
        eventsSet: [],
        actionsSet: [],
        initializationStatusDetails: init
          ? { initializationType: init.type, progress: init.progress, estimatedTimeToCompleteInSeconds: init.estimatedSeconds }
          : undefined,
      };
    }),
    nextToken: page.nextToken,
  };
};

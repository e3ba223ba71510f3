/** EBS volumes: create (blank or from a snapshot), attach, detach, delete, describe. */
import { AwsError } from '../service';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { type Tag, readTagSpecs } from './query';
import { type VolumeRecord, mergeTags } from './model';
import { type ActionHandler, type World, GIB, availabilityZones, nowIso, priorResult, rememberResult, tagsFromSpecs } from './world';
import { type XmlObject, renderTags } from './xml';
import { EBS_BLOCK_BYTES, checkInitializationRate } from './volume-status';
import { blockRanges } from './device-rates';
import { grantForVolume, retireVolumeGrant, volumeEncryption } from './ebs-encryption';

const SIZE_LIMITS: Record<string, [number, number]> = {
  gp2: [1, 16384],
  gp3: [1, 65536],
  io1: [4, 16384],
  io2: [4, 65536],
  st1: [125, 16384],
  sc1: [125, 16384],
  standard: [1, 1024],
};

export function requireVolume(w: World, volumeId: string): VolumeRecord {
  const v = w.model.volumes[volumeId];
  if (!v) throw new AwsError('InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
  return v;
}

export interface NewVolume {
  availabilityZone: string;
  size?: number;
  snapshotId?: string;
  volumeType?: string;
  encrypted?: boolean;
  kmsKeyId?: string;
  iops?: number;
  /** Throughput, MiB/s (gp3 only). */
  throughput?: number;
  /** VolumeInitializationRate, MiB/s (only with a snapshot). */
  initializationRate?: number;
  tags: Tag[];
}

/**
 * gp3 alone takes Throughput, 125–2,000 MiB/s (https://docs.aws.amazon.com/ebs/latest/userguide/general-purpose.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolume.html); the error texts are EC2's usual shapes.
 */
function checkThroughput(throughput: number | undefined, volumeType: string): void {
  if (throughput === undefined) return;
  if (volumeType !== 'gp3') throw new AwsError('InvalidParameterCombination', `The parameter throughput is not supported for ${volumeType} volumes.`);
  if (!Number.isInteger(throughput) || throughput < 125 || throughput > 2000) {
    throw new AwsError('InvalidParameterValue', `Throughput (MiBps) of ${throughput} is out of range: gp3 takes 125 to 2000.`);
  }
}

/** Validates and creates a volume (its bytes too); 'creating' until ctx.timings.volumeMs has passed. */
export function createVolumeRecord(w: World, spec: NewVolume, initialState: 'creating' | 'in-use' = 'creating'): VolumeRecord {
  if (!availabilityZones(w).includes(spec.availabilityZone)) {
    throw new AwsError('InvalidParameterValue', `Invalid availability zone: [${spec.availabilityZone}]`);
  }
  const volumeType = spec.volumeType ?? 'gp2';
  const limits = SIZE_LIMITS[volumeType];
  if (!limits) throw new AwsError('InvalidParameterValue', `The parameter VolumeType has an invalid value: ${volumeType}`);
  const snap = spec.snapshotId ? w.model.snapshots[spec.snapshotId] : undefined;
  if (spec.snapshotId && !snap) throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${spec.snapshotId}' does not exist.`);
  if (snap && snap.completesAt === undefined && snap.state !== 'completed') {
    throw new AwsError('IncorrectState', `Snapshot '${snap.snapshotId}' is in invalid state - ${snap.state}`);
  }
  if (spec.size === undefined && !snap) {
    throw new AwsError('MissingParameter', 'The request must contain the parameter size or snapshotId');
  }
  const size = spec.size ?? snap!.volumeSize;
  if (snap && size < snap.volumeSize) {
    throw new AwsError('InvalidParameterValue', `Volume of size ${size}GB is smaller than snapshot '${snap.snapshotId}', expect size >= ${snap.volumeSize}GB`);
  }
  if (size < limits[0] || size > limits[1]) {
    throw new AwsError('InvalidParameterValue', `Volume of ${size}GiB is outside the ${volumeType} range ${limits[0]}-${limits[1]}GiB.`);
  }
  checkInitializationRate(spec.initializationRate, spec.snapshotId);
  checkThroughput(spec.throughput, volumeType);
  const encryption = volumeEncryption(w, spec);
  // a create whose key KMS refused ends in 'error'; a launch's refusal is the instance's (instances.ts)
  const kmsFailure = initialState === 'creating' ? w.kmsOutcome?.failure : undefined;
  const volumeId = newId('vol');
  // the snapshot's written blocks: what initialization pulls (volume-status.ts) and where (device-rates.ts)
  const written = snap ? w.storage.snapshotBlocks(snap.snapshotId) : undefined;
  w.storage.createVolume(volumeId, size * GIB, snap?.snapshotId);
  const now = w.ctx.clock.now();
  const v: VolumeRecord = {
    volumeId,
    size,
    snapshotId: snap?.snapshotId,
    availabilityZone: spec.availabilityZone,
    state: initialState,
    readyAt: initialState === 'creating' ? now + w.ctx.timings.volumeMs : undefined,
    createTime: new Date(now).toISOString(),
    createdAt: now,
    volumeType,
    iops: spec.iops ?? (volumeType === 'gp3' ? 3000 : volumeType === 'gp2' ? Math.max(100, Math.min(16000, size * 3)) : undefined),
    throughput: spec.throughput ?? (volumeType === 'gp3' ? 125 : undefined),
    encrypted: encryption.encrypted,
    kmsKeyId: encryption.keyArn,
    kmsFailure: kmsFailure && `${kmsFailure.code}: ${kmsFailure.message}`,
    tags: mergeTags([], spec.tags),
    lineage: snap?.lineage ?? volumeId,
    initializationRate: spec.initializationRate,
    initializationBytes: (written?.size ?? 0) * EBS_BLOCK_BYTES,
    initializationRanges: written && blockRanges(written.keys()),
    initializationStartedAt: now,
  };
  w.model.volumes[volumeId] = v;
  if (!kmsFailure && !w.kmsOutcome?.failure) grantForVolume(w, volumeId, encryption.keyArn);
  scheduleVolumeReady(w, v);
  w.ctx.markDirty();
  return v;
}

export function scheduleVolumeReady(w: World, v: VolumeRecord): void {
  if (v.state !== 'creating' || v.readyAt === undefined) return;
  w.timers.at(v.readyAt, () => {
    const cur = w.model.volumes[v.volumeId];
    if (cur?.state !== 'creating') return;
    cur.state = cur.kmsFailure ? 'error' : 'available';
    cur.readyAt = undefined;
    w.ctx.markDirty();
  });
}

export function renderAttachment(v: VolumeRecord, status: string): XmlObject | undefined {
  if (!v.attachment) return undefined;
  return {
    volumeId: v.volumeId,
    instanceId: v.attachment.instanceId,
    device: v.attachment.device,
    status,
    attachTime: v.attachment.attachTime,
    deleteOnTermination: v.attachment.deleteOnTermination,
  };
}

export function renderVolume(w: World, v: VolumeRecord): XmlObject {
  return {
    volumeId: v.volumeId,
    size: v.size,
    snapshotId: v.snapshotId ?? '',
    availabilityZone: v.availabilityZone,
    status: v.state,
    createTime: v.createTime,
    attachmentSet: v.attachment ? [renderAttachment(v, 'attached')] : [],
    tagSet: renderTags(v.tags),
    volumeType: v.volumeType,
    iops: v.iops,
    throughput: v.throughput ?? (v.volumeType === 'gp3' ? 125 : undefined),
    encrypted: v.encrypted,
    kmsKeyId: v.kmsKeyId,
    multiAttachEnabled: false,
    volumeInitializationRate: v.initializationRate,
    volumeArn: `arn:aws:ec2:${w.ctx.region}:${w.ctx.accountId}:volume/${v.volumeId}`,
  };
}

const FIELDS: FieldMap<VolumeRecord> = {
  'volume-id': (v) => v.volumeId,
  status: (v) => v.state,
  'availability-zone': (v) => v.availabilityZone,
  size: (v) => v.size,
  'snapshot-id': (v) => v.snapshotId,
  'volume-type': (v) => v.volumeType,
  encrypted: (v) => v.encrypted,
  'create-time': (v) => v.createTime,
  'attachment.instance-id': (v) => v.attachment?.instanceId,
  'attachment.status': (v) => (v.attachment ? 'attached' : undefined),
  'attachment.device': (v) => v.attachment?.device,
  'attachment.attach-time': (v) => v.attachment?.attachTime,
  'attachment.delete-on-termination': (v) => v.attachment?.deleteOnTermination,
  'multi-attach-enabled': () => false,
};

export const createVolume: ActionHandler = (q, w) => {
  const prior = priorResult(w, 'CreateVolume', q);
  if (prior && w.model.volumes[prior]) return renderVolume(w, w.model.volumes[prior]);
  const v = createVolumeRecord(w, {
    availabilityZone: q.required('AvailabilityZone'),
    size: q.int('Size'),
    snapshotId: q.str('SnapshotId'),
    volumeType: q.str('VolumeType'),
    encrypted: q.bool('Encrypted'),
    kmsKeyId: q.str('KmsKeyId'),
    iops: q.int('Iops'),
    throughput: q.int('Throughput'),
    initializationRate: q.int('VolumeInitializationRate'),
    tags: tagsFromSpecs(readTagSpecs(q), 'volume', ['volume']),
  });
  rememberResult(w, 'CreateVolume', q, v.volumeId);
  return renderVolume(w, v);
};

export const describeVolumes: ActionHandler = (q, w) => {
  const page = describe(q, w, {
    all: Object.values(w.model.volumes),
    idOf: (v) => v.volumeId,
    tagsOf: (v) => v.tags,
    fields: FIELDS,
    limits: { min: 5, max: 500 },
    idParam: 'VolumeId',
    idFilter: 'volume-id',
    notFound: notFoundError('InvalidVolume.NotFound', (ids) => `The volume '${ids}' does not exist.`),
    createdAt: (v) => v.createdAt,
  });
  return { volumeSet: page.items.map((v) => renderVolume(w, v)), nextToken: page.nextToken };
};

export const attachVolume: ActionHandler = (q, w) => {
  const device = q.required('Device');
  const v = requireVolume(w, q.required('VolumeId'));
  const instanceId = q.required('InstanceId');
  const inst = w.model.instances[instanceId];
  if (!inst) throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  if (v.attachment) throw new AwsError('VolumeInUse', `${v.volumeId} is already attached to an instance`);
  if (v.state !== 'available') throw new AwsError('IncorrectState', `${v.volumeId} is not 'available'.`);
  if (inst.state !== 'running' && inst.state !== 'stopped') {
    throw new AwsError('IncorrectState', `Instance '${instanceId}' is not 'running'.`);
  }
  if (inst.availabilityZone !== v.availabilityZone) {
    throw new AwsError('InvalidVolume.ZoneMismatch', `The volume '${v.volumeId}' is not in the same availability zone as instance '${instanceId}'`);
  }
  const taken = Object.values(w.model.volumes).some((o) => o.attachment?.instanceId === instanceId && o.attachment.device === device);
  if (taken) {
    throw new AwsError('InvalidParameterValue', `Invalid value '${device}' for unixDevice. Attachment point ${device} is already in use`);
  }
  v.attachment = { instanceId, device, attachTime: nowIso(w), deleteOnTermination: false };
  v.state = 'in-use';
  w.ctx.markDirty();
  w.processes.refreshDevices(instanceId);
  return renderAttachment(v, 'attaching')!;
};

/** Detaches without checks (termination, or a checked DetachVolume). */
export function detach(w: World, v: VolumeRecord): void {
  const instanceId = v.attachment?.instanceId;
  v.attachment = undefined;
  v.state = 'available';
  w.ctx.markDirty();
  if (instanceId) w.processes.refreshDevices(instanceId);
}

export const detachVolume: ActionHandler = (q, w) => {
  const v = requireVolume(w, q.required('VolumeId'));
  const instanceId = q.str('InstanceId');
  if (!v.attachment || (instanceId !== undefined && v.attachment.instanceId !== instanceId)) {
    throw new AwsError('IncorrectState', `Volume '${v.volumeId}' is in the '${v.state}' state.`);
  }
  const response = renderAttachment(v, 'detaching')!;
  detach(w, v);
  return response;
};

export const deleteVolume: ActionHandler = (q, w) => {
  const v = requireVolume(w, q.required('VolumeId'));
  if (v.attachment) throw new AwsError('VolumeInUse', `Volume ${v.volumeId} is currently attached to ${v.attachment.instanceId}`);
  removeVolume(w, v.volumeId);
  return { return: true };
};

export function removeVolume(w: World, volumeId: string): void {
  delete w.model.volumes[volumeId];
  w.storage.deleteVolume(volumeId);
  retireVolumeGrant(w, volumeId);
  w.ctx.markDirty();
}

/**
 * EBS snapshots: CreateSnapshot(s) capture bytes at one instant, then stay 'pending' for
 * ctx.timings.snapshotMs as in AWS. The SnapshotRegistry is how the EBS direct API emulator shares them.
 */
import { AwsError } from '../service';
import { describe, notFoundError } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { type SnapshotRecord, type VolumeRecord, mergeTags } from './model';
import { type Tag, readTagSpecs } from './query';
import { requireVolume } from './volumes';
import { type ActionHandler, type World, tagsFromSpecs } from './world';
import { type XmlObject, renderTags } from './xml';

export interface SnapshotRegistry {
  get(snapshotId: string): SnapshotRecord | undefined;
  /** Registers a snapshot built through EBS StartSnapshot (state 'pending', volumeId 'vol-ffffffff'). */
  add(record: SnapshotRecord): void;
  setState(snapshotId: string, state: SnapshotRecord['state']): void;
  list(): SnapshotRecord[];
}

export function snapshotRegistry(w: World): SnapshotRegistry {
  return {
    get: (id) => w.model.snapshots[id],
    add: (record) => {
      w.model.snapshots[record.snapshotId] = { ...record, tags: record.tags.map((t) => ({ ...t })) };
      w.ctx.markDirty();
    },
    setState: (id, state) => {
      const s = w.model.snapshots[id];
      if (!s) throw new Error(`offline ec2: no snapshot ${id}`);
      s.state = state;
      if (state === 'completed') s.progress = '100%';
      s.completesAt = undefined;
      w.ctx.markDirty();
    },
    list: () => Object.values(w.model.snapshots),
  };
}

/** The newest snapshot of the volume, the parent an incremental snapshot builds on. */
function latestSnapshotOf(w: World, v: VolumeRecord): string | undefined {
  const mine = Object.values(w.model.snapshots).filter((s) => s.volumeId === v.volumeId);
  mine.sort((a, b) => (a.startTime < b.startTime ? -1 : 1));
  return mine.at(-1)?.snapshotId ?? v.snapshotId;
}

/** Outpost-local snapshots need an Outpost, which the offline cloud does not have. */
function checkLocation(location: string | undefined): void {
  if (location !== undefined && location !== 'regional') {
    throw new AwsError('UnsupportedOperation', `Snapshots with Location '${location}' are not supported in this Region.`);
  }
}

function checkSnapshottable(v: VolumeRecord): void {
  if (v.state === 'creating') throw new AwsError('IncorrectState', `The volume '${v.volumeId}' is not in a valid state for this operation: creating`);
}

/** Captures every volume at one instant (one storage call), then registers the pending snapshots. */
function capture(w: World, items: Array<{ volume: VolumeRecord; description: string; tags: Tag[] }>): SnapshotRecord[] {
  const now = w.ctx.clock.now();
  const records = items.map(({ volume, description, tags }) => ({
    snapshotId: newId('snap'),
    volumeId: volume.volumeId,
    volumeSize: volume.size,
    state: 'pending' as const,
    progress: '0%',
    startTime: new Date(now).toISOString(),
    description,
    tags: mergeTags([], tags),
    ownerId: w.ctx.accountId,
    parentSnapshotId: latestSnapshotOf(w, volume),
    lineage: volume.lineage,
    encrypted: volume.encrypted,
    kmsKeyId: volume.kmsKeyId,
    completesAt: now + w.ctx.timings.snapshotMs,
  }));
  w.storage.captureSnapshots(records.map((r) => ({ snapshotId: r.snapshotId, volumeId: r.volumeId })));
  for (const r of records) {
    w.model.snapshots[r.snapshotId] = r;
    scheduleSnapshotCompletion(w, r);
  }
  w.ctx.markDirty();
  return records;
}

export function scheduleSnapshotCompletion(w: World, s: SnapshotRecord): void {
  if (s.state !== 'pending' || s.completesAt === undefined) return;
  w.timers.at(s.completesAt, () => {
    const cur = w.model.snapshots[s.snapshotId];
    if (cur?.state !== 'pending' || cur.completesAt === undefined) return;
    cur.state = 'completed';
    cur.progress = '100%';
    cur.completesAt = undefined;
    w.ctx.markDirty();
  });
}

/** Progress climbs with time for snapshots EC2 captured; EBS-built ones show what was stored. */
function progressOf(w: World, s: SnapshotRecord): string {
  if (s.state !== 'pending' || s.completesAt === undefined) return s.progress;
  const total = w.ctx.timings.snapshotMs;
  const done = total - (s.completesAt - w.ctx.clock.now());
  return `${Math.max(0, Math.min(99, Math.floor((100 * done) / Math.max(1, total))))}%`;
}

/** A snapshot as DescribeSnapshots renders it (`status`) and, with `state` and no storage tier, CreateSnapshots. */
function renderSnapshot(w: World, s: SnapshotRecord, as: 'describe' | 'create' = 'describe'): XmlObject {
  return {
    snapshotId: s.snapshotId,
    volumeId: s.volumeId,
    [as === 'describe' ? 'status' : 'state']: s.state,
    startTime: s.startTime,
    progress: progressOf(w, s),
    ownerId: s.ownerId,
    volumeSize: s.volumeSize,
    description: s.description,
    encrypted: s.encrypted ?? false,
    kmsKeyId: s.kmsKeyId,
    ...(as === 'describe' ? { storageTier: 'standard' } : {}),
    tagSet: renderTags(s.tags),
  };
}

const FIELDS: FieldMap<SnapshotRecord> = {
  'snapshot-id': (s) => s.snapshotId,
  'volume-id': (s) => s.volumeId,
  status: (s) => s.state,
  'owner-id': (s) => s.ownerId,
  description: (s) => s.description,
  progress: (s) => s.progress,
  'start-time': (s) => s.startTime,
  'volume-size': (s) => s.volumeSize,
  encrypted: (s) => s.encrypted ?? false,
  'storage-tier': () => 'standard',
};

export const createSnapshot: ActionHandler = (q, w) => {
  checkLocation(q.str('Location'));
  const volume = requireVolume(w, q.required('VolumeId'));
  checkSnapshottable(volume);
  const tags = tagsFromSpecs(readTagSpecs(q), 'snapshot', ['snapshot']);
  const [s] = capture(w, [{ volume, description: q.str('Description') ?? '', tags }]);
  return renderSnapshot(w, s);
};

export const createSnapshots: ActionHandler = (q, w) => {
  checkLocation(q.str('Location'));
  const spec = q.sub('InstanceSpecification');
  const instanceId = spec.required('InstanceId');
  const inst = w.model.instances[instanceId];
  if (!inst || inst.state === 'terminated') {
    throw new AwsError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
  }
  const excluded = new Set(spec.list('ExcludeDataVolumeId'));
  const excludeBoot = spec.bool('ExcludeBootVolume') ?? false;
  const copyTags = q.str('CopyTagsFromSource');
  if (copyTags !== undefined && copyTags !== 'volume') {
    throw new AwsError('InvalidParameterValue', `Value (${copyTags}) for parameter CopyTagsFromSource is invalid.`);
  }
  const tags = tagsFromSpecs(readTagSpecs(q), 'snapshot', ['snapshot']);
  const volumes = Object.values(w.model.volumes).filter(
    (v) => v.attachment?.instanceId === instanceId && !excluded.has(v.volumeId) && !(excludeBoot && v.attachment.device === inst.rootDeviceName),
  );
  if (volumes.length === 0) throw new AwsError('InvalidParameterValue', `The instance '${instanceId}' has no volumes to snapshot`);
  const description = q.str('Description') ?? '';
  const records = capture(
    w,
    volumes.map((volume) => ({
      volume,
      description,
      tags:
        copyTags === 'volume'
          ? mergeTags(
              volume.tags.map((t) => ({ ...t })),
              tags,
            )
          : tags,
    })),
  );
  return {
    snapshotSet: records.map((s) => renderSnapshot(w, s, 'create')),
  };
};

export const describeSnapshots: ActionHandler = (q, w) => {
  const owners = q.list('Owner');
  const ownerOk = (s: SnapshotRecord) => owners.length === 0 || owners.some((o) => o === 'self' || o === s.ownerId);
  const page = describe(q, w, {
    all: Object.values(w.model.snapshots).filter(ownerOk),
    idOf: (s) => s.snapshotId,
    tagsOf: (s) => s.tags,
    fields: FIELDS,
    limits: { min: 5, max: 1000 },
    idParam: 'SnapshotId',
    idFilter: 'snapshot-id',
    notFound: notFoundError('InvalidSnapshot.NotFound', (ids) => `The snapshot '${ids}' does not exist.`),
    createdAt: (s) => Date.parse(s.startTime),
  });
  return { snapshotSet: page.items.map((s) => renderSnapshot(w, s)), nextToken: page.nextToken };
};

export const deleteSnapshot: ActionHandler = (q, w) => {
  const snapshotId = q.required('SnapshotId');
  if (!w.model.snapshots[snapshotId]) throw new AwsError('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
  const image = Object.values(w.model.images).find((i) => i.blockDeviceMappings.some((b) => b.snapshotId === snapshotId));
  if (image) throw new AwsError('InvalidSnapshot.InUse', `The snapshot ${snapshotId} is currently in use by ${image.imageId}`);
  delete w.model.snapshots[snapshotId];
  w.storage.deleteSnapshot(snapshotId);
  w.ctx.markDirty();
  return { return: true };
};

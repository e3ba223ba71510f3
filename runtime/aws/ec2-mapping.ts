/** EC2 SDK shapes → the domain's view (runtime/core/ports.ts), and domain queries → EC2 filters. */
import type { Filter, Instance, Snapshot, Volume } from '@aws-sdk/client-ec2';
import type { InstanceInfo, SnapshotInfo, VolumeAttachmentInfo, VolumeInfo } from '../core/ports';
import { tagMap, type Tags } from '../core/tags';

export function tagFilters(tags: Tags | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
}

const iso = (d: Date | string | undefined): string => (d === undefined ? '' : new Date(d).toISOString());

export function toInstanceInfo(i: Instance): InstanceInfo {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'pending',
    availabilityZone: i.Placement?.AvailabilityZone ?? '',
    launchTime: iso(i.LaunchTime),
    tags: tagMap(i.Tags),
    volumes: (i.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId).map((m) => ({ volumeId: m.Ebs!.VolumeId!, device: m.DeviceName ?? '' })),
  };
}

export function toVolumeInfo(v: Volume): VolumeInfo {
  return {
    volumeId: v.VolumeId ?? '',
    state: v.State ?? 'creating',
    sizeGiB: v.Size ?? 0,
    availabilityZone: v.AvailabilityZone ?? '',
    snapshotId: v.SnapshotId || null,
    tags: tagMap(v.Tags),
    ...(v.CreateTime ? { createTime: v.CreateTime.toISOString() } : {}),
    ...(v.Encrypted && v.KmsKeyId ? { kmsKeyId: v.KmsKeyId } : {}),
    attachments: (v.Attachments ?? []).map((a): VolumeAttachmentInfo => ({
      instanceId: a.InstanceId ?? '',
      device: a.Device ?? '',
      state: a.State ?? 'attaching',
    })),
  };
}

/** EC2 reports progress as '42%'. */
export function parseProgress(progress: string | undefined): number {
  const n = Number.parseFloat((progress ?? '0').replace('%', ''));
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}

export function toSnapshotInfo(s: Snapshot): SnapshotInfo {
  return {
    snapshotId: s.SnapshotId ?? '',
    volumeId: s.VolumeId ?? '',
    state: s.State ?? 'pending',
    progress: parseProgress(s.Progress),
    startTime: iso(s.StartTime),
    volumeSizeGiB: s.VolumeSize ?? 0,
    tags: tagMap(s.Tags),
    ...(s.StateMessage ? { stateMessage: s.StateMessage } : {}),
  };
}

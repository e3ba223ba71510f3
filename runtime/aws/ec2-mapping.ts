/** EC2 SDK shapes → the domain's view (runtime/core/ports.ts), and domain queries → EC2 filters. */
import type { Filter, Instance, Snapshot, Volume } from '@aws-sdk/client-ec2';
import type { InstanceFacts, InstanceInfo, SnapshotInfo, VolumeAttachmentInfo, VolumeInfo } from '../core/ports';
import { tagMap, type Tags } from '../core/tags';

export function tagFilters(tags: Tags | undefined): Filter[] {
  return Object.entries(tags ?? {}).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] }));
}

const iso = (d: Date | string | undefined): string => (d === undefined ? '' : new Date(d).toISOString());

/** The primary private IPv4 address first, then the primary interface's secondary ones, then other interfaces'. */
function privateIpsOf(i: Instance): string[] {
  const nics = [...(i.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
  const all = nics.flatMap((n) =>
    [...(n.PrivateIpAddresses ?? [])].sort((a, b) => Number(b.Primary ?? false) - Number(a.Primary ?? false)).map((a) => a.PrivateIpAddress),
  );
  return [...new Set([i.PrivateIpAddress, ...all].filter((ip): ip is string => !!ip))];
}

function factsOf(i: Instance): InstanceFacts {
  const opt = <K extends string, V>(key: K, value: V | undefined | null) => (value === undefined || value === null || value === '' ? {} : { [key]: value });
  return {
    instanceType: i.InstanceType ?? '',
    ...opt('architecture', i.Architecture),
    ...opt('bootMode', i.CurrentInstanceBootMode ?? i.BootMode),
    ...opt('rootDeviceName', i.RootDeviceName),
    ...opt('virtualizationType', i.VirtualizationType),
    ...opt('enaSupport', i.EnaSupport),
    ...opt('platform', i.PlatformDetails ?? (i.Platform ? 'Windows' : undefined)),
    ...opt('subnetId', i.SubnetId),
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId).filter((id): id is string => !!id),
    privateIps: privateIpsOf(i),
  };
}

export function toInstanceInfo(i: Instance): InstanceInfo {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'pending',
    availabilityZone: i.Placement?.AvailabilityZone ?? '',
    launchTime: iso(i.LaunchTime),
    tags: tagMap(i.Tags),
    volumes: (i.BlockDeviceMappings ?? []).filter((m) => m.Ebs?.VolumeId).map((m) => ({ volumeId: m.Ebs!.VolumeId!, device: m.DeviceName ?? '' })),
    facts: factsOf(i),
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
    ...(v.VolumeType ? { volumeType: v.VolumeType } : {}),
    ...(v.Iops ? { iops: v.Iops } : {}),
    ...(v.Throughput ? { throughput: v.Throughput } : {}),
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

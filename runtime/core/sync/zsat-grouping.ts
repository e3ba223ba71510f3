/**
 * Which zSAT reads which volumes: a zSAT attaches volumes only in its own AZ, at most volumesPerZsat of
 * them; within an AZ the fewest zSATs that respect that cap, balanced by planned bytes (largest first onto
 * the least loaded zSAT). Volumes with nothing to read get no zSAT. Deterministic for equal input.
 */
export interface VolumeLoad {
  readonly volumeId: string;
  readonly availabilityZone: string;
  readonly plannedBytes: number;
}

export interface ZsatGroup {
  readonly index: number;
  readonly availabilityZone: string;
  readonly volumeIds: readonly string[];
  readonly plannedBytes: number;
}

export function groupVolumesIntoZsats(volumes: readonly VolumeLoad[], volumesPerZsat: number): ZsatGroup[] {
  if (!Number.isInteger(volumesPerZsat) || volumesPerZsat < 1) throw new RangeError(`volumesPerZsat must be a positive integer, got ${volumesPerZsat}`);
  const byAz = new Map<string, VolumeLoad[]>();
  for (const v of volumes) {
    if (v.plannedBytes <= 0) continue;
    byAz.set(v.availabilityZone, [...(byAz.get(v.availabilityZone) ?? []), v]);
  }
  const groups: ZsatGroup[] = [];
  for (const az of [...byAz.keys()].sort()) {
    const azVolumes = [...byAz.get(az)!].sort((a, b) => b.plannedBytes - a.plannedBytes || a.volumeId.localeCompare(b.volumeId));
    const bins = Array.from({ length: Math.ceil(azVolumes.length / volumesPerZsat) }, () => ({ ids: [] as string[], bytes: 0 }));
    for (const v of azVolumes) {
      const open = bins.filter((b) => b.ids.length < volumesPerZsat);
      const target = open.reduce((least, b) => (b.bytes < least.bytes ? b : least));
      target.ids.push(v.volumeId);
      target.bytes += v.plannedBytes;
    }
    for (const b of bins) groups.push({ index: groups.length, availabilityZone: az, volumeIds: [...b.ids].sort(), plannedBytes: b.bytes });
  }
  return groups;
}

/** Device name of a zSAT's n-th data volume: /dev/sdf … /dev/sdz (the range AWS recommends for EBS data volumes). */
export function zsatDeviceName(position: number): string {
  const letters = 'fghijklmnopqrstuvwxyz';
  if (!Number.isInteger(position) || position < 0 || position >= letters.length) {
    throw new RangeError(`a zSAT attaches at most ${letters.length} volumes (position ${position})`);
  }
  return `/dev/sd${letters[position]}`;
}

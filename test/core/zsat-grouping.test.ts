import { groupVolumesIntoZsats, zsatDeviceName } from '../../runtime/core/sync/zsat-grouping';

const MiB = 1024 * 1024;

describe('groupVolumesIntoZsats', () => {
  it('keeps each zSAT in one AZ and never above volumesPerZsat', () => {
    const volumes = [
      { volumeId: 'vol-a1', availabilityZone: 'us-east-1a', plannedBytes: 10 * MiB },
      { volumeId: 'vol-b1', availabilityZone: 'us-east-1b', plannedBytes: 10 * MiB },
      { volumeId: 'vol-a2', availabilityZone: 'us-east-1a', plannedBytes: 10 * MiB },
      { volumeId: 'vol-a3', availabilityZone: 'us-east-1a', plannedBytes: 10 * MiB },
    ];
    const groups = groupVolumesIntoZsats(volumes, 2);
    expect(groups.map((g) => [g.index, g.availabilityZone, g.volumeIds.length])).toEqual([
      [0, 'us-east-1a', 2],
      [1, 'us-east-1a', 1],
      [2, 'us-east-1b', 1],
    ]);
    expect(groups.flatMap((g) => g.volumeIds).sort()).toEqual(['vol-a1', 'vol-a2', 'vol-a3', 'vol-b1']);
  });

  it('balances planned bytes: the largest volume goes alone, the small ones share', () => {
    const groups = groupVolumesIntoZsats(
      [
        { volumeId: 'vol-big', availabilityZone: 'az', plannedBytes: 100 * MiB },
        { volumeId: 'vol-mid', availabilityZone: 'az', plannedBytes: 60 * MiB },
        { volumeId: 'vol-s1', availabilityZone: 'az', plannedBytes: 30 * MiB },
        { volumeId: 'vol-s2', availabilityZone: 'az', plannedBytes: 20 * MiB },
      ],
      2,
    );
    expect(groups.map((g) => g.plannedBytes)).toEqual([120 * MiB, 90 * MiB]);
    expect(groups[0].volumeIds).toEqual(['vol-big', 'vol-s2']);
    expect(groups[1].volumeIds).toEqual(['vol-mid', 'vol-s1']);
  });

  it('gives no zSAT to a volume with nothing to read', () => {
    const groups = groupVolumesIntoZsats(
      [
        { volumeId: 'vol-idle', availabilityZone: 'az', plannedBytes: 0 },
        { volumeId: 'vol-busy', availabilityZone: 'az', plannedBytes: MiB },
      ],
      4,
    );
    expect(groups).toEqual([{ index: 0, availabilityZone: 'az', volumeIds: ['vol-busy'], plannedBytes: MiB }]);
    expect(groupVolumesIntoZsats([{ volumeId: 'vol-idle', availabilityZone: 'az', plannedBytes: 0 }], 4)).toEqual([]);
  });

  it('is deterministic whatever the input order', () => {
    const vols = Array.from({ length: 9 }, (_, i) => ({ volumeId: `vol-${i}`, availabilityZone: i % 2 ? 'b' : 'a', plannedBytes: (i + 1) * MiB }));
    expect(groupVolumesIntoZsats([...vols].reverse(), 3)).toEqual(groupVolumesIntoZsats(vols, 3));
  });

  it('rejects a non-positive volumesPerZsat', () => {
    expect(() => groupVolumesIntoZsats([], 0)).toThrow(RangeError);
  });
});

describe('zsatDeviceName', () => {
  it('names data volumes /dev/sdf onwards and refuses past /dev/sdz', () => {
    expect(zsatDeviceName(0)).toBe('/dev/sdf');
    expect(zsatDeviceName(3)).toBe('/dev/sdi');
    expect(zsatDeviceName(20)).toBe('/dev/sdz');
    expect(() => zsatDeviceName(21)).toThrow(RangeError);
  });
});

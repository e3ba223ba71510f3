import {
  bootSequence,
  groupImportVolumes,
  importClientToken,
  importIdFor,
  recoveredInstanceType,
  volumeSizeGiB,
} from '../../runtime/core/failback/recovery-plan';

const GiB = 1024 ** 3;
const vol = (id: string, gib: number) => ({ sourceVolumeId: id, sourceInstanceId: 'i-1', device: '/dev/sdf', sizeBytes: gib * GiB });

describe('groupImportVolumes', () => {
  it('uses the fewest importers that respect volumesPerImporter, balanced by size', () => {
    const groups = groupImportVolumes([vol('vol-a', 100), vol('vol-b', 50), vol('vol-c', 40), vol('vol-d', 8), vol('vol-e', 1)], 2);
    expect(groups).toHaveLength(3);
    expect(groups.map((g) => g.sourceVolumeIds)).toEqual([['vol-a'], ['vol-b', 'vol-e'], ['vol-c', 'vol-d']]);
    expect(groups.map((g) => g.index)).toEqual([0, 1, 2]);
    for (const g of groups) expect(g.sourceVolumeIds.length).toBeLessThanOrEqual(2);
  });

  it('gives every volume a target, empty ones too, each exactly once', () => {
    const volumes = [vol('vol-1', 8), vol('vol-2', 1), vol('vol-3', 1)];
    const groups = groupImportVolumes(volumes, 4);
    expect(groups).toEqual([{ index: 0, sourceVolumeIds: ['vol-1', 'vol-2', 'vol-3'], bytes: 10 * GiB }]);
    const one = groupImportVolumes(volumes, 1);
    expect(one.flatMap((g) => g.sourceVolumeIds).sort()).toEqual(['vol-1', 'vol-2', 'vol-3']);
  });

  it('refuses a non-positive cap', () => {
    expect(() => groupImportVolumes([vol('vol-1', 1)], 0)).toThrow(/volumesPerImporter must be a positive integer/);
  });
});

describe('bootSequence', () => {
  it('boots the named instances first, in the plan order, then the rest by id', () => {
    expect(bootSequence(['i-c', 'i-a', 'i-b', 'i-d'], ['i-d', 'i-b'])).toEqual(['i-d', 'i-b', 'i-a', 'i-c']);
  });

  it('ignores names that are not in the checkpoint and duplicates', () => {
    expect(bootSequence(['i-b', 'i-a'], ['i-z', 'i-b', 'i-b'])).toEqual(['i-b', 'i-a']);
    expect(bootSequence(['i-b', 'i-a', 'i-a'])).toEqual(['i-a', 'i-b']);
  });
});

describe('recovery details', () => {
  it('instance type: override, else the source, else the recovery plan, else the default', () => {
    expect(recoveredInstanceType({ override: 'c6i.large', sourceType: 't3.micro', recoveryType: 'm5.large', fallback: 'x.y' })).toBe('c6i.large');
    expect(recoveredInstanceType({ sourceType: 't3.micro', recoveryType: 'm5.large', fallback: 'x.y' })).toBe('t3.micro');
    expect(recoveredInstanceType({ recoveryType: 'm5.large', fallback: 'x.y' })).toBe('m5.large');
    expect(recoveredInstanceType({ fallback: 'x.y' })).toBe('x.y');
  });

  it('volume sizes round up to whole GiB', () => {
    expect(volumeSizeGiB(GiB)).toBe(1);
    expect(volumeSizeGiB(GiB + 1)).toBe(2);
    expect(volumeSizeGiB(1)).toBe(1);
  });

  it('import ids are the execution name, safe as a store key segment; client tokens stay within 64 characters', () => {
    expect(importIdFor('arn:aws:states:us-east-1:123456789012:execution:lifeboat-a-app-failback:test-20260101-abc')).toBe('test-20260101-abc');
    expect(importIdFor('arn:aws:states:us-east-1:1:execution:m:_weird')).toMatch(/^f[0-9a-f]{12}$/);
    expect(importClientToken('web', 'a'.repeat(80), 'vol-0123456789abcdef0').length).toBeLessThanOrEqual(64);
    expect(importClientToken('web', 'short', 'vm-i-1')).toBe('web-short-vm-i-1');
    // two VPGs' failbacks named alike never share a token (EC2 would answer IdempotentParameterMismatch)
    expect(importClientToken('db', 'drill-1', 'importer-0')).not.toBe(importClientToken('web', 'drill-1', 'importer-0'));
    const long = 'x'.repeat(60);
    expect(importClientToken('db', long, 'importer-0')).not.toBe(importClientToken('web', long, 'importer-0'));
  });
});

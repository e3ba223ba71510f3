/** Launch facts in checkpoints: what a sync records of an instance, and how manifests and summaries that carry them (or not) are read. */
import { buildManifest, summarize } from '../../runtime/core/store/format';
import { instancesProblem, userTags, type CheckpointInstance } from '../../runtime/core/store/instance-facts';
import { validateManifest } from '../../runtime/core/store/validation';
import { checkpointInstanceOf, syncFactsOf } from '../../runtime/core/sync/launch-facts';
import type { InstanceInfo, VolumeInfo } from '../../runtime/core/ports';
import { linuxFacts } from '../steps/fakes';

const instance = (over: Partial<InstanceInfo> = {}): InstanceInfo => ({
  instanceId: 'i-0aaaaaaaaaaaaaaaa',
  state: 'running',
  availabilityZone: 'eu-west-1a',
  launchTime: '2026-11-25T12:00:00.000Z',
  tags: { Name: 'web-1', app: 'web', 'aws:cloudformation:stack-name': 'web', 'AWS:other': 'x' },
  volumes: [{ volumeId: 'vol-0aaaaaaaaaaaaaaaa', device: '/dev/xvda' }],
  facts: linuxFacts({ privateIps: ['10.0.1.10', '10.0.1.11'] }),
  ...over,
});

const FACTS: CheckpointInstance = {
  instanceId: 'i-0aaaaaaaaaaaaaaaa',
  instanceType: 'c6i.large',
  architecture: 'x86_64',
  bootMode: 'uefi',
  rootDeviceName: '/dev/xvda',
  virtualizationType: 'hvm',
  enaSupport: true,
  platform: 'Linux/UNIX',
  tags: { Name: 'web-1', app: 'web' },
  network: { subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'], privateIps: ['10.0.1.10', '10.0.1.11'] },
};

describe('what a sync records of an instance', () => {
  it('its boot, platform, type, own tags (no aws:* ones) and network', () => {
    expect(checkpointInstanceOf(instance())).toEqual(FACTS);
    expect(userTags({ 'aws:ec2launchtemplate:id': 'lt-1', Name: 'n' })).toEqual({ Name: 'n' });
  });

  it('nothing for an instance EC2 did not say how it boots: its recovery launches it the old way', () => {
    expect(checkpointInstanceOf(instance({ facts: undefined }))).toBeNull();
    expect(checkpointInstanceOf(instance({ facts: linuxFacts({ architecture: undefined }) }))).toBeNull();
    expect(checkpointInstanceOf(instance({ facts: linuxFacts({ rootDeviceName: undefined }) }))).toBeNull();
  });

  it('the volumes\u2019 type, IOPS and throughput, by volume', () => {
    const volume: VolumeInfo = {
      volumeId: 'vol-0aaaaaaaaaaaaaaaa',
      state: 'in-use',
      sizeGiB: 8,
      availabilityZone: 'eu-west-1a',
      snapshotId: null,
      tags: {},
      attachments: [],
      volumeType: 'gp3',
      iops: 4000,
      throughput: 250,
    };
    const plain: VolumeInfo = { ...volume, volumeId: 'vol-0bbbbbbbbbbbbbbbb', volumeType: 'st1', iops: undefined, throughput: undefined };
    const facts = syncFactsOf(
      [instance(), instance({ instanceId: 'i-0bbbbbbbbbbbbbbbb', facts: undefined })],
      new Map([volume, plain].map((v) => [v.volumeId, v])),
    );
    expect(facts).toEqual({
      format: 1,
      instances: [FACTS],
      volumes: { 'vol-0aaaaaaaaaaaaaaaa': { volumeType: 'gp3', iops: 4000, throughput: 250 }, 'vol-0bbbbbbbbbbbbbbbb': { volumeType: 'st1' } },
    });
  });
});

describe('manifests and summaries with launch facts', () => {
  const volume = {
    sourceVolumeId: 'vol-0aaaaaaaaaaaaaaaa',
    sourceInstanceId: 'i-0aaaaaaaaaaaaaaaa',
    device: '/dev/xvda',
    sizeBytes: 1024 ** 3,
    snapshotId: 'snap-1',
    volumeType: 'gp3',
    iops: 3000,
    throughput: 125,
  };
  const build = (instances?: CheckpointInstance[]) =>
    buildManifest({ vpg: 'web', syncId: 'sync-1', createdAt: '2026-11-25T12:00:00Z', parentId: null, full: true, volumes: [volume], results: [], instances });
  const valid = (m: unknown) => validateManifest(m, { vpg: 'web', checkpointId: build().id });

  it('the manifest and its summary carry the instances whose volumes it holds, and the volumes\u2019 EBS settings', () => {
    const other = { ...FACTS, instanceId: 'i-0cccccccccccccccc' };
    const manifest = build([FACTS, other]);
    expect(manifest.instances).toEqual([FACTS]);
    expect(manifest.volumes[0]).toMatchObject({ volumeType: 'gp3', iops: 3000, throughput: 125 });
    expect(valid(manifest)).toBe(manifest);
    expect(summarize(manifest)).toMatchObject({ instances: [FACTS], volumes: [expect.objectContaining({ volumeType: 'gp3', iops: 3000 })] });
  });

  it('a manifest without them (written before they were recorded) is valid, and so is its summary', () => {
    const manifest = build();
    expect('instances' in manifest).toBe(false);
    expect(valid(manifest)).toBe(manifest);
    expect('instances' in summarize(manifest)).toBe(false);
    expect(instancesProblem(undefined, new Set())).toBeNull();
  });

  it('malformed facts are a CorruptManifest naming the field', () => {
    const manifest = build([FACTS]);
    const broken = (instances: unknown) => () => valid({ ...manifest, instances });
    expect(broken([{ ...FACTS, enaSupport: 'yes' }])).toThrow(/instances\[0\]\.enaSupport: /);
    expect(broken([{ ...FACTS, architecture: undefined }])).toThrow(/instances\[0\]\.architecture: /);
    expect(broken({ i: FACTS })).toThrow(/CorruptManifest: .*instances: /);
    expect(broken([FACTS, FACTS])).toThrow(/instance i-0aaaaaaaaaaaaaaaa is listed twice/);
    expect(broken([{ ...FACTS, instanceId: 'i-0cccccccccccccccc' }])).toThrow(/instance i-0cccccccccccccccc owns none of the checkpoint's volumes/);
    const volumeBroken = { ...manifest, volumes: [{ ...manifest.volumes[0], iops: -1 }] };
    expect(() => valid(volumeBroken)).toThrow(/volume vol-0aaaaaaaaaaaaaaaa: iops is -1, not a positive integer/);
  });
});

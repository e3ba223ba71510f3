/**
 * In-memory stand-ins for the failback's own ports over the sync fakes' EC2: the recovery side (blank volumes,
 * snapshots, launches, subnets), KMS keys, and a failback world with a committed checkpoint to recover.
 */
import type {
  BlankVolumeRequest,
  FailbackDeps,
  ImageInfo,
  ImagesPort,
  InstanceDetails,
  KeysPort,
  RecoveredLaunchRequest,
  RecoveryPort,
  RegisterImageRequest,
} from '../../runtime/core/failback/recovery-ports';
import type { ResourceQuery } from '../../runtime/core/ports';
import type { FailbackInit } from '../../runtime/core/failback/contract';
import type { CheckpointManifest } from '../../runtime/core/store/port';
import type { CheckpointInstance } from '../../runtime/core/store/instance-facts';
import { Conflict, InvalidInput, NotFound } from '../../runtime/core/errors';
import type { StepEnv } from '../../runtime/core/step-env';
import { ENV, GIB, makeWorld, vpgRuntime, type World } from './fakes';

export const REGION = 'eu-west-1';
export const FAILBACK_ARN = 'arn:aws:states:eu-west-1:111122223333:execution:lifeboat-site-a-web-failback:fb-1';
export const IMPORT_ID = 'fb-1';

export class FakeRecovery implements RecoveryPort {
  readonly blank: BlankVolumeRequest[] = [];
  readonly launches: RecoveredLaunchRequest[] = [];
  readonly snapshotsMade: Array<{ volumeId: string; tags: Record<string, string> }> = [];
  /** subnet id → zone: the recovery region's subnets. */
  readonly subnets = new Map<string, string>();
  defaultZones: string[] = [`${REGION}a`, `${REGION}b`];
  /** What DescribeInstances of a source says (the protected side; absent in another region). */
  readonly sources = new Map<string, InstanceDetails>();
  readonly calls: Record<string, number> = {};
  private readonly tokens = new Map<string, string>();

  constructor(private readonly world: World) {}

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }
  async instanceDetails(ids: readonly string[]): Promise<InstanceDetails[]> {
    this.count('instanceDetails');
    return ids.flatMap((id) => (this.sources.has(id) ? [this.sources.get(id)!] : []));
  }
  async createBlankVolume(r: BlankVolumeRequest) {
    this.count('createBlankVolume');
    this.blank.push(r);
    const known = this.tokens.get(r.clientToken);
    const v = known ? this.world.ec2.volumes.get(known)! : this.world.ec2.addVolume({ az: r.availabilityZone, sizeGiB: r.sizeGiB, tags: { ...r.tags } });
    this.tokens.set(r.clientToken, v.volumeId);
    return structuredClone(v);
  }
  async createSnapshot(volumeId: string, tags: Record<string, string>): Promise<string> {
    this.count('createSnapshot');
    this.snapshotsMade.push({ volumeId, tags });
    return this.world.ec2.addSnapshot({ volumeId, tags: { ...tags }, state: 'pending' }).snapshotId;
  }
  async stopInstances(): Promise<void> {
    this.count('stopInstances');
  }
  async launchImage(preferred: readonly string[]): Promise<{ imageId: string } | null> {
    this.count('launchImage');
    return { imageId: preferred[0] ?? 'ami-al2023' };
  }
  async runRecoveredInstance(r: RecoveredLaunchRequest): Promise<{ instanceId: string }> {
    this.count('runRecoveredInstance');
    this.launches.push(r);
    const known = this.tokens.get(r.clientToken);
    if (known) return { instanceId: known };
    const i = this.world.ec2.addInstance({ tags: { ...r.instanceTags }, volumesGiB: [], state: 'pending' });
    this.tokens.set(r.clientToken, i.instanceId);
    return { instanceId: i.instanceId };
  }
  async subnetZone(subnetId: string): Promise<string | null> {
    return this.subnets.get(subnetId) ?? null;
  }
  async defaultSubnetZones(): Promise<string[]> {
    return [...this.defaultZones];
  }
}

/** KMS of the recovery region: the keys that exist there; others are NotFound, `unknown` ones refuse to say. */
export class FakeKeys implements KeysPort {
  readonly existing = new Set<string>();
  readonly unknown = new Set<string>();
  readonly asked: string[] = [];
  async keyState(arn: string): Promise<'exists' | 'missing' | 'unknown'> {
    this.asked.push(arn);
    if (this.unknown.has(arn)) return 'unknown';
    return this.existing.has(arn) ? 'exists' : 'missing';
  }
}

/**
 * The recovery region's own images, as EC2 keeps them: names unique (a second registration of a name is that image,
 * as the adapter resolves InvalidAMIName.Duplicate), and a snapshot an image names cannot be deleted (InvalidSnapshot.InUse).
 */
export class FakeImages implements ImagesPort {
  readonly images = new Map<string, ImageInfo & { request?: RegisterImageRequest }>();
  readonly registered: RegisterImageRequest[] = [];
  readonly deregistered: string[] = [];
  /** The state a newly registered image has (EC2 shows 'pending' first). */
  initialState = 'available';
  /** Describe by tags misses images registered in the last call (EC2 is eventually consistent). */
  hideNew = false;
  private seq = 0;
  private readonly fresh = new Set<string>();

  constructor(world: World) {
    const deleteSnapshot = world.ec2.deleteSnapshot.bind(world.ec2);
    world.ec2.deleteSnapshot = async (id: string) => {
      const user = [...this.images.values()].find((i) => i.devices.some((d) => d.snapshotId === id));
      if (user) throw new Conflict(`DeleteSnapshot: InvalidSnapshot.InUse: The snapshot ${id} is currently in use by ${user.imageId}`);
      return deleteSnapshot(id);
    };
  }

  /** An image someone else (or another site) registered. */
  add(tags: Record<string, string>, devices: ImageInfo['devices'] = []): ImageInfo {
    const image = {
      imageId: `ami-${(++this.seq).toString(16).padStart(8, '0')}`,
      name: `other-${this.seq}`,
      state: 'available',
      tags,
      rootDeviceName: '/dev/xvda',
      devices,
    };
    this.images.set(image.imageId, image);
    return image;
  }
  async describeImages(q: ResourceQuery): Promise<ImageInfo[]> {
    const found = [...this.images.values()].filter(
      (i) =>
        (q.ids === undefined || q.ids.includes(i.imageId)) &&
        Object.entries(q.tags ?? {}).every(([k, v]) => i.tags[k] === v) &&
        !(q.ids === undefined && this.hideNew && this.fresh.has(i.imageId)),
    );
    this.fresh.clear();
    return found.map(({ request: _r, ...i }) => structuredClone(i));
  }
  async registerImage(r: RegisterImageRequest): Promise<string> {
    this.registered.push(r);
    const named = [...this.images.values()].find((i) => i.name === r.name);
    if (named) return named.imageId;
    if (!/^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/.test(r.name)) throw new InvalidInput(`RegisterImage: InvalidAMIName.Malformed: ${r.name}`);
    const imageId = `ami-${(++this.seq).toString(16).padStart(8, '0')}`;
    this.images.set(imageId, {
      imageId,
      name: r.name,
      state: this.initialState,
      tags: { ...r.tags },
      rootDeviceName: r.rootDeviceName,
      devices: r.devices.map((d) => ({ device: d.device, snapshotId: d.snapshotId })),
      request: r,
    });
    this.fresh.add(imageId);
    return imageId;
  }
  async deregisterImage(imageId: string): Promise<void> {
    if (!this.images.delete(imageId)) throw new NotFound(`DeregisterImage: InvalidAMIID.NotFound: ${imageId}`);
    this.deregistered.push(imageId);
  }
}

export interface FailbackWorld {
  readonly world: World;
  readonly recovery: FakeRecovery;
  readonly keys: FakeKeys;
  readonly images: FakeImages;
  readonly deps: FailbackDeps;
}

export function failbackWorld(env: Partial<StepEnv> = {}): FailbackWorld {
  const world = makeWorld({ ...ENV, region: REGION, importerLaunchTemplate: 'lifeboat-site-a-zimporter', ...env });
  for (const zone of [`${REGION}a`, `${REGION}b`]) world.ec2.subnets.set(zone, `subnet-default-${zone.slice(-1)}`);
  const recovery = new FakeRecovery(world);
  const keys = new FakeKeys();
  const images = new FakeImages(world);
  const syncRuns = {
    start: async () => {
      throw new NotFound('no sync in this test');
    },
    describe: async () => ({ status: 'RUNNING' as const }),
  };
  return { world, recovery, keys, images, deps: { ...world.deps, recovery, keys, images, syncRuns } };
}

/** The execution's Init state for VPG web, with the request as given. */
export function init(request: unknown = {}, recovery: Partial<FailbackInit['recovery']> = {}): FailbackInit {
  return {
    vpg: vpgRuntime(),
    recovery: { maxImporters: 2, volumesPerImporter: 2, ...recovery },
    syncStateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-site-a-web-sync',
    executionId: FAILBACK_ARN,
    stateMachineArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-site-a-web-failback',
    startedAt: '2026-11-25T12:00:00Z',
    request,
  };
}

export interface SourceVolume {
  readonly id: string;
  readonly instanceId: string;
  readonly device: string;
  readonly kmsKeyId?: string;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
}

/** Commits a full checkpoint of these source volumes (in the protected region: none of them exists here). */
export async function commitCheckpoint(world: World, volumes: readonly SourceVolume[], instances?: CheckpointInstance[]): Promise<CheckpointManifest> {
  const createdAt = new Date(world.clock.now().getTime() - 3600_000).toISOString();
  const manifest: CheckpointManifest = {
    format: 1,
    id: `cp-${createdAt.slice(0, 19).replace(/[-:]/g, '')}Z-sync1`,
    vpg: 'web',
    syncId: 'sync-1',
    createdAt,
    parentId: null,
    full: true,
    volumes: volumes.map((v) => ({
      sourceVolumeId: v.id,
      sourceInstanceId: v.instanceId,
      device: v.device,
      sizeBytes: 8 * GIB,
      snapshotId: `snap-of-${v.id}`,
      ...(v.kmsKeyId ? { kmsKeyId: v.kmsKeyId } : {}),
      ...(v.volumeType ? { volumeType: v.volumeType } : {}),
      ...(v.iops ? { iops: v.iops } : {}),
      ...(v.throughput ? { throughput: v.throughput } : {}),
      blocksChanged: 0,
      blocksRead: 0,
      bytesStored: 0,
      blocks: {},
    })),
    ...(instances ? { instances } : {}),
  };
  await world.store.commitCheckpoint(manifest);
  return manifest;
}

/** What a sync records of a current-generation Linux instance (a test overrides what it is about). */
export function instanceFacts(instanceId: string, over: Partial<CheckpointInstance> = {}): CheckpointInstance {
  return {
    instanceId,
    instanceType: 'c6i.large',
    architecture: 'x86_64',
    bootMode: 'uefi',
    rootDeviceName: '/dev/xvda',
    virtualizationType: 'hvm',
    enaSupport: true,
    platform: 'Linux/UNIX',
    tags: { Name: 'web-1' },
    network: { subnetId: 'subnet-0aaaaaaaaaaaaaaaa', securityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'], privateIps: ['10.0.1.10'] },
    ...over,
  };
}

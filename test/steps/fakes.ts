/**
 * In-memory stand-ins for the ports the sync steps use: EC2 (instances, volumes, snapshots, templates,
 * subnets), EBS direct block lists, Step Functions executions, the replica store, a clock and a log.
 * They follow AWS where the steps depend on it (client tokens, tags at creation, NotFound on missing ids,
 * VolumeInUse on attached volumes) and count the calls tests assert on.
 */
import type { SubnetInfo } from '../../runtime/core/workers/subnets';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { Conflict, NotFound } from '../../runtime/core/errors';
import { MemoryLog, MemoryStore } from './memory-store';
import { MemoryCoordination } from './memory-coordination';
import type { StepEnv } from '../../runtime/core/step-env';
import type { StepDeps } from '../../runtime/core/sync/deps';
import type { VpgRuntime } from '../../runtime/core/sync/contract';
import type {
  ChangedBlock,
  CreateVolumeRequest,
  EbsBlocksPort,
  Ec2Port,
  ExecutionsPort,
  InstanceFacts,
  InstanceInfo,
  InstanceState,
  LaunchTemplateInfo,
  ResourceQuery,
  RunInstanceRequest,
  RunningExecution,
  SnapshotInfo,
  VcpuCapacityPort,
  VolumeInfo,
} from '../../runtime/core/ports';
import { TAG, tagsFor, type Tags } from '../../runtime/core/tags';
import { deriveSyncId } from '../../runtime/core/sync/ids';

export { MemoryLog, MemoryStore };
export { MemoryCoordination };

export const SITE = 'site-a';
export const GIB = 1024 ** 3;

const matches = (tags: Tags, wanted?: Tags) => Object.entries(wanted ?? {}).every(([k, v]) => tags[k] === v);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FakeClock {
  constructor(public ms = Date.parse('2026-11-25T12:00:00Z')) {}
  now = (): Date => new Date(this.ms);
  sleep = async (ms: number): Promise<void> => {
    this.ms += ms;
  };
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export class FakeEc2 implements Ec2Port {
  readonly instances = new Map<string, Mutable<InstanceInfo>>();
  readonly volumes = new Map<string, Mutable<VolumeInfo>>();
  readonly snapshots = new Map<string, Mutable<SnapshotInfo>>();
  readonly templates = new Map<string, LaunchTemplateInfo>();
  readonly subnets = new Map<string, string>([
    ['us-east-1a', 'subnet-a'],
    ['us-east-1b', 'subnet-b'],
  ]);
  readonly calls: Record<string, number> = {};
  readonly runRequests: RunInstanceRequest[] = [];
  readonly destroyed: string[] = [];
  /** AZ of every volume ever created, deleted ones included. */
  readonly volumeZones = new Map<string, string>();
  /** Volumes stay attached for this many describes after their instance terminates. */
  detachAfterDescribes = 0;
  private readonly tokens = new Map<string, string>();
  private readonly pendingDetach = new Map<string, number>();
  private seq = 0;

  constructor(private readonly clock: FakeClock) {}

  private count(op: string): void {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }
  private id(prefix: string): string {
    return `${prefix}-${(++this.seq).toString(16).padStart(8, '0')}`;
  }

  /** A protected instance with data volumes (sizes in GiB); `facts` as DescribeInstances would tell them. */
  addInstance(opts: {
    id?: string;
    az?: string;
    tags?: Tags;
    state?: InstanceState;
    volumesGiB?: number[];
    facts?: InstanceFacts;
    volumeType?: string;
  }): InstanceInfo {
    const instanceId = opts.id ?? this.id('i');
    const az = opts.az ?? 'us-east-1a';
    const volumes = (opts.volumesGiB ?? [8]).map((size, i) => {
      const v = this.addVolume({ az, sizeGiB: size });
      if (opts.volumeType) Object.assign(v, { volumeType: opts.volumeType, iops: 3000, throughput: 125 });
      v.state = 'in-use';
      v.attachments = [{ instanceId, device: `/dev/xvd${'abcdefgh'[i]}`, state: 'attached' }];
      return { volumeId: v.volumeId, device: `/dev/xvd${'abcdefgh'[i]}` };
    });
    const instance = {
      instanceId,
      state: opts.state ?? 'running',
      availabilityZone: az,
      launchTime: this.clock.now().toISOString(),
      tags: opts.tags ?? {},
      volumes,
      ...(opts.facts ? { facts: opts.facts } : {}),
    };
    this.instances.set(instanceId, instance);
    return instance;
  }

  addVolume(opts: { az?: string; sizeGiB?: number; tags?: Tags; id?: string }): Mutable<VolumeInfo> {
    const v: Mutable<VolumeInfo> = {
      volumeId: opts.id ?? this.id('vol'),
      state: 'available',
      sizeGiB: opts.sizeGiB ?? 8,
      availabilityZone: opts.az ?? 'us-east-1a',
      snapshotId: null,
      tags: opts.tags ?? {},
      attachments: [],
    };
    this.volumes.set(v.volumeId, v);
    this.volumeZones.set(v.volumeId, v.availabilityZone);
    return v;
  }

  addSnapshot(opts: { volumeId: string; tags?: Tags; state?: SnapshotInfo['state']; id?: string }): Mutable<SnapshotInfo> {
    const s: Mutable<SnapshotInfo> = {
      snapshotId: opts.id ?? this.id('snap'),
      volumeId: opts.volumeId,
      state: opts.state ?? 'completed',
      progress: opts.state === 'pending' ? 0 : 100,
      startTime: this.clock.now().toISOString(),
      volumeSizeGiB: this.volumes.get(opts.volumeId)?.sizeGiB ?? 8,
      tags: opts.tags ?? {},
    };
    this.snapshots.set(s.snapshotId, s);
    return s;
  }

  addLaunchTemplate(name: string, tags: Tags = tagsFor(SITE, 'site', 'launch-template')): LaunchTemplateInfo {
    const t = { launchTemplateId: this.id('lt'), name, tags };
    this.templates.set(name, t);
    return t;
  }

  /** Terminated instances release their volumes only after `detachAfterDescribes` describes. */
  private settle(): void {
    for (const [volumeId, left] of this.pendingDetach) {
      if (left > 0) {
        this.pendingDetach.set(volumeId, left - 1);
        continue;
      }
      this.pendingDetach.delete(volumeId);
      const v = this.volumes.get(volumeId);
      if (v) Object.assign(v, { state: 'available', attachments: [] });
    }
  }

  async describeInstances(q: ResourceQuery & { states?: readonly InstanceState[] }): Promise<InstanceInfo[]> {
    this.count('describeInstances');
    return [...this.instances.values()]
      .filter((i) => (q.ids === undefined || q.ids.includes(i.instanceId)) && matches(i.tags, q.tags) && (!q.states || q.states.includes(i.state)))
      .map((i) => structuredClone(i));
  }
  async describeVolumes(q: ResourceQuery): Promise<VolumeInfo[]> {
    this.count('describeVolumes');
    this.settle();
    return [...this.volumes.values()]
      .filter((v) => (q.ids === undefined || q.ids.includes(v.volumeId)) && matches(v.tags, q.tags))
      .map((v) => structuredClone(v));
  }
  async describeSnapshots(q: ResourceQuery): Promise<SnapshotInfo[]> {
    this.count('describeSnapshots');
    return [...this.snapshots.values()]
      .filter((s) => (q.ids === undefined || q.ids.includes(s.snapshotId)) && matches(s.tags, q.tags))
      .map((s) => structuredClone(s));
  }
  async createSnapshots(instanceId: string, tags: Tags): Promise<Array<{ snapshotId: string; volumeId: string }>> {
    this.count('createSnapshots');
    const instance = this.instances.get(instanceId);
    if (!instance) throw new NotFound(`instance ${instanceId}`);
    return instance.volumes.map((v) => {
      const s = this.addSnapshot({ volumeId: v.volumeId, tags: { ...tags }, state: 'pending' });
      return { snapshotId: s.snapshotId, volumeId: v.volumeId };
    });
  }
  async deleteSnapshot(snapshotId: string): Promise<void> {
    this.count('deleteSnapshot');
    if (!this.snapshots.delete(snapshotId)) throw new NotFound(`snapshot ${snapshotId}`);
    this.destroyed.push(snapshotId);
  }
  async createVolume(r: CreateVolumeRequest): Promise<VolumeInfo> {
    this.count('createVolume');
    const known = this.tokens.get(r.clientToken);
    if (known) return structuredClone(this.volumes.get(known)!);
    const snap = this.snapshots.get(r.snapshotId);
    if (!snap) throw new NotFound(`snapshot ${r.snapshotId}`);
    const v = this.addVolume({ az: r.availabilityZone, sizeGiB: snap.volumeSizeGiB, tags: { ...r.tags } });
    Object.assign(v, { snapshotId: r.snapshotId, state: 'creating' });
    this.tokens.set(r.clientToken, v.volumeId);
    return structuredClone(v);
  }
  async attachVolume(volumeId: string, instanceId: string, device: string): Promise<void> {
    this.count('attachVolume');
    const v = this.volumes.get(volumeId);
    if (!v) throw new NotFound(`volume ${volumeId}`);
    if (v.state !== 'available') throw new Conflict(`volume ${volumeId} is ${v.state}`);
    Object.assign(v, { state: 'in-use', attachments: [{ instanceId, device, state: 'attached' }] });
  }
  async deleteVolume(volumeId: string): Promise<void> {
    this.count('deleteVolume');
    const v = this.volumes.get(volumeId);
    if (!v) throw new NotFound(`volume ${volumeId}`);
    if (v.state === 'in-use') throw new Conflict(`volume ${volumeId} is in use`);
    this.volumes.delete(volumeId);
    this.destroyed.push(volumeId);
  }
  async runInstance(r: RunInstanceRequest): Promise<InstanceInfo> {
    this.count('runInstance');
    this.runRequests.push(r);
    const known = this.tokens.get(r.clientToken);
    if (known) return structuredClone(this.instances.get(known)!);
    const instanceId = this.id('i');
    const instance = {
      instanceId,
      state: 'pending' as InstanceState,
      availabilityZone: 'us-east-1a',
      launchTime: this.clock.now().toISOString(),
      tags: { ...r.instanceTags },
      volumes: [],
    };
    this.instances.set(instanceId, instance);
    this.tokens.set(r.clientToken, instanceId);
    return structuredClone(instance);
  }
  /** An instance terminated by someone else a moment ago: shutting down, its volumes detaching. */
  beginShutdown(id: string): void {
    this.instances.get(id)!.state = 'shutting-down';
    for (const v of this.volumes.values()) {
      if (v.attachments.some((a) => a.instanceId === id)) this.pendingDetach.set(v.volumeId, this.detachAfterDescribes);
    }
  }
  async terminateInstances(ids: readonly string[]): Promise<void> {
    this.count('terminateInstances');
    for (const id of ids) {
      const i = this.instances.get(id);
      if (!i) throw new NotFound(`instance ${id}`);
      i.state = 'terminated';
      this.destroyed.push(id);
      for (const v of this.volumes.values()) {
        if (v.attachments.some((a) => a.instanceId === id)) this.pendingDetach.set(v.volumeId, this.detachAfterDescribes);
      }
    }
  }
  async findLaunchTemplate(name: string): Promise<LaunchTemplateInfo | null> {
    return this.templates.get(name) ?? null;
  }
  async defaultSubnet(az: string): Promise<string | null> {
    return this.subnets.get(az) ?? null;
  }
  /** Configured (non-default) subnets a test adds: id → zone and VPC. */
  readonly configuredSubnets = new Map<string, SubnetInfo>();
  async describeSubnets(ids: readonly string[]): Promise<SubnetInfo[]> {
    this.count('describeSubnets');
    return ids.flatMap((id) => {
      const s = this.configuredSubnets.get(id);
      return s ? [structuredClone(s)] : [];
    });
  }

  /** Volumes of terminated instances are released at the next describe. */
  finishDetaching(): void {
    for (const id of this.pendingDetach.keys()) this.pendingDetach.set(id, 0);
  }

  /** Moves every pending snapshot to completed and every creating volume / pending instance on. */
  settleAll(): void {
    for (const s of this.snapshots.values()) if (s.state === 'pending') Object.assign(s, { state: 'completed', progress: 100 });
    for (const v of this.volumes.values()) if (v.state === 'creating') v.state = 'available';
    for (const i of this.instances.values()) if (i.state === 'pending') i.state = 'running';
  }
}

/** Snapshot contents as block index → content label; changed blocks compare labels. */
export class FakeEbs implements EbsBlocksPort {
  readonly blocks = new Map<string, Map<number, string>>();
  readonly calls: string[] = [];
  blockSize = BLOCK_SIZE;

  async listSnapshotBlocks(snapshotId: string) {
    this.calls.push(`list ${snapshotId}`);
    const b = this.blocks.get(snapshotId);
    if (!b) throw new NotFound(`snapshot ${snapshotId}`);
    return { blockSize: this.blockSize, indexes: [...b.keys()].sort((x, y) => x - y) };
  }
  async listChangedBlocks(base: string, snap: string) {
    this.calls.push(`changed ${base} ${snap}`);
    const a = this.blocks.get(base);
    const b = this.blocks.get(snap);
    if (!a || !b) throw new NotFound(`snapshot ${a ? snap : base}`);
    const indexes = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
    const blocks: ChangedBlock[] = indexes.filter((i) => a.get(i) !== b.get(i)).map((i) => ({ index: i, inBase: a.has(i), inNew: b.has(i) }));
    return { blockSize: this.blockSize, blocks };
  }
}

/** The vCPU quota and what counts against it; `fail` makes every read throw (e.g. AccessDenied on Service Quotas). */
export class FakeCapacity implements VcpuCapacityPort {
  quota = 1000;
  inUse = 0;
  readonly vcpus = new Map<string, number>([
    ['c6i.large', 2],
    ['m6i.xlarge', 4],
    ['t3.micro', 2],
  ]);
  fail: Error | null = null;
  private check(): void {
    if (this.fail) throw this.fail;
  }
  standardVcpuQuota = async () => (this.check(), this.quota);
  standardVcpusInUse = async () => (this.check(), this.inUse);
  vcpusOf = async (type: string) => (this.check(), this.vcpus.get(type) ?? null);
}

export class FakeExecutions implements ExecutionsPort {
  running: RunningExecution[] = [];
  /** What DescribeExecution says, by ARN; default: running when listed in `running`, ended when `known`, else unknown (no such execution). */
  readonly states = new Map<string, 'running' | 'ended' | 'unknown'>();
  /** Executions that exist (have run): the sync driver adds each one it runs. */
  readonly known = new Set<string>();
  /** StartExecution calls (a sync's continuations), in order. */
  readonly started: Array<{ stateMachineArn: string; name: string; input: unknown }> = [];
  async listRunning(): Promise<RunningExecution[]> {
    return this.running.map((e) => ({ ...e }));
  }
  async start(stateMachineArn: string, name: string, input: unknown): Promise<string> {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const same = this.started.find((s) => s.name === name);
    if (same && JSON.stringify(same.input) !== JSON.stringify(input)) throw new Conflict(`StartExecution: ExecutionAlreadyExists: ${name}`);
    if (!same) {
      this.started.push({ stateMachineArn, name, input });
      this.running.push({ executionArn, name, startDate: new Date(0).toISOString() });
      this.known.add(executionArn);
    }
    return executionArn;
  }
  async state(executionArn: string): Promise<'running' | 'ended' | 'unknown'> {
    if (this.states.has(executionArn)) return this.states.get(executionArn)!;
    if (this.running.some((e) => e.executionArn === executionArn)) return 'running';
    return this.known.has(executionArn) ? 'ended' : 'unknown';
  }
}

export const ENV: StepEnv = {
  siteId: SITE,
  bucket: 'replica-bucket',
  zsatLaunchTemplate: 'lifeboat-site-a-zsat',
  zsatSecurityGroup: 'sg-zsat',
  zsatSubnets: { subnetIds: [], configKey: 'agent.subnetIds' },
  importerSubnets: { subnetIds: [], configKey: 'importer.subnetIds' },
  zsatInstanceTypes: [],
  importerInstanceTypes: [],
};

export function vpgRuntime(overrides: Partial<VpgRuntime> = {}): VpgRuntime {
  return {
    name: 'web',
    instanceIds: [],
    instanceTags: { app: 'web' },
    syncIntervalMinutes: 15,
    journalHours: 24,
    volumesPerZsat: 2,
    maxZsats: 4,
    pollSeconds: 30,
    heartbeatTimeoutSeconds: 300,
    agentInstanceProfileArn: '',
    importerInstanceProfileArn: '',
    syncStepRoleArn: '',
    failbackStepRoleArn: '',
    storeBucket: 'replica-bucket',
    storeRegion: '',
    ...overrides,
  };
}

export interface World {
  readonly clock: FakeClock;
  readonly ec2: FakeEc2;
  readonly ebs: FakeEbs;
  readonly executions: FakeExecutions;
  readonly capacity: FakeCapacity;
  readonly store: MemoryStore;
  readonly coordination: MemoryCoordination;
  readonly log: MemoryLog;
  readonly deps: StepDeps;
}

export function makeWorld(env: StepEnv = ENV): World {
  const clock = new FakeClock();
  const ec2 = new FakeEc2(clock);
  ec2.addLaunchTemplate(env.zsatLaunchTemplate);
  const ebs = new FakeEbs();
  const executions = new FakeExecutions();
  const capacity = new FakeCapacity();
  const store = new MemoryStore();
  const log = new MemoryLog();
  const coordination = new MemoryCoordination();
  coordination.store = store;
  const deps: StepDeps = { env, ec2, ebs, executions, capacity, store, lease: coordination, readers: coordination, log, now: clock.now, sleep: clock.sleep };
  return { clock, ec2, ebs, executions, capacity, store, coordination, log, deps };
}

export const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:lifeboat-site-a-web-sync:run-1';
export const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:lifeboat-site-a-web-sync';

/** The sync id and execution tags of an earlier execution `name` of VPG web's sync (it exists: the fakes know it). */
export function earlierSync(world: World, name: string): { syncId: string; tags: Tags } {
  const arn = `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
  world.executions.known.add(arn);
  const syncId = deriveSyncId(arn);
  return { syncId, tags: { [TAG.syncId]: syncId, [TAG.executionId]: name } };
}

/** Tags of a resource a given sync of VPG web created. */
export function zsatTags(kind: 'instance' | 'volume', syncId: string, extra: Tags = {}): Tags {
  return tagsFor(SITE, 'zsat', kind, { [TAG.vpg]: 'web', [TAG.syncId]: syncId, ...extra });
}
/** What DescribeInstances says of a current-generation Linux instance (a test overrides what it is about). */
export function linuxFacts(over: Partial<InstanceFacts> = {}): InstanceFacts {
  return {
    instanceType: 'c6i.large',
    architecture: 'x86_64',
    bootMode: 'uefi',
    rootDeviceName: '/dev/xvda',
    virtualizationType: 'hvm',
    enaSupport: true,
    platform: 'Linux/UNIX',
    subnetId: 'subnet-0123456789abcdef0',
    securityGroupIds: ['sg-0123456789abcdef0'],
    privateIps: ['10.0.1.10'],
    ...over,
  };
}

export function snapshotTags(syncId: string, extra: Tags = {}): Tags {
  return tagsFor(SITE, 'sync-snapshot', 'snapshot', { [TAG.vpg]: 'web', [TAG.syncId]: syncId, ...extra });
}

/**
 * What the sync steps need from the outside world, as interfaces. runtime/aws implements them over the SDK;
 * tests implement them in memory. Types here are the domain's view of EC2/EBS/Step Functions, not the SDK's.
 */
import type { SubnetInfo } from './workers/subnets';
import type { Tags } from './tags';

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
export type VolumeState = 'creating' | 'available' | 'in-use' | 'deleting' | 'deleted' | 'error';
export type SnapshotState = 'pending' | 'completed' | 'error' | 'recoverable' | 'recovering';

/** How an instance boots and where it sits, as DescribeInstances tells it (a checkpoint records it: store/instance-facts.ts). */
export interface InstanceFacts {
  readonly instanceType: string;
  readonly architecture?: string;
  /** CurrentInstanceBootMode, else the image's BootMode. */
  readonly bootMode?: string;
  readonly rootDeviceName?: string;
  readonly virtualizationType?: string;
  readonly enaSupport?: boolean;
  /** PlatformDetails ("Linux/UNIX", "Windows", …). */
  readonly platform?: string;
  readonly subnetId?: string;
  readonly securityGroupIds: readonly string[];
  /** The primary private IPv4 address first. */
  readonly privateIps: readonly string[];
}

export interface InstanceInfo {
  readonly instanceId: string;
  readonly state: InstanceState;
  readonly availabilityZone: string;
  /** ISO time. */
  readonly launchTime: string;
  readonly tags: Tags;
  /** EBS volumes attached, by device name. */
  readonly volumes: ReadonlyArray<{ readonly volumeId: string; readonly device: string }>;
  /** Absent where EC2 was not asked (fakes, an answer without them). */
  readonly facts?: InstanceFacts;
}

export interface VolumeAttachmentInfo {
  readonly instanceId: string;
  readonly device: string;
  readonly state: 'attaching' | 'attached' | 'detaching' | 'detached' | 'busy';
}

export interface VolumeInfo {
  readonly volumeId: string;
  readonly state: VolumeState;
  readonly sizeGiB: number;
  readonly availabilityZone: string;
  readonly snapshotId: string | null;
  readonly tags: Tags;
  readonly attachments: readonly VolumeAttachmentInfo[];
  /** ISO time the volume was created (the sweeper's grace period); absent when EC2 did not say. */
  readonly createTime?: string;
  /** The KMS key (ARN) an encrypted volume is under; absent: not encrypted (docs/kms.md). */
  readonly kmsKeyId?: string;
  /** gp2, gp3, io1, io2, st1, sc1, standard. */
  readonly volumeType?: string;
  readonly iops?: number;
  /** MiB/s (gp3). */
  readonly throughput?: number;
}

export interface SnapshotInfo {
  readonly snapshotId: string;
  readonly volumeId: string;
  readonly state: SnapshotState;
  /** 0..100 */
  readonly progress: number;
  /** ISO time the snapshot's point in time was taken. */
  readonly startTime: string;
  readonly volumeSizeGiB: number;
  readonly tags: Tags;
  readonly stateMessage?: string;
}

export interface LaunchTemplateInfo {
  readonly launchTemplateId: string;
  readonly name: string;
  readonly tags: Tags;
}

/** Query by ids (missing ones are simply absent from the answer) and/or by exact tag values (AND). */
export interface ResourceQuery {
  readonly ids?: readonly string[];
  readonly tags?: Tags;
}

export interface CreateVolumeRequest {
  readonly snapshotId: string;
  readonly availabilityZone: string;
  readonly tags: Tags;
  readonly clientToken: string;
}

export interface RunInstanceRequest {
  readonly launchTemplateId: string;
  /**
   * The worker templates put their security group and "no public IP" on NetworkInterfaces[0]; choosing a subnet
   * therefore means passing that interface whole (subnet, this group), never a top-level SubnetId.
   */
  readonly subnetId?: string;
  /**
   * Give the primary interface a public IPv4 address. Only for a default subnet: there the only way out to S3
   * and the package repositories is the internet gateway, which needs one (a default VPC has no NAT and no
   * endpoints). A configured subnet brings its own path (S3 gateway endpoint or NAT) and gets none.
   */
  readonly publicIp?: boolean;
  readonly securityGroupId?: string;
  readonly instanceProfileArn?: string;
  /** Overrides the launch template's type (a fallback of agent/importer.instanceTypes). */
  readonly instanceType?: string;
  readonly clientToken: string;
  readonly instanceTags: Tags;
  readonly volumeTags: Tags;
  readonly networkInterfaceTags: Tags;
}

export interface Ec2Port {
  describeInstances(query: ResourceQuery & { states?: readonly InstanceState[] }): Promise<InstanceInfo[]>;
  describeVolumes(query: ResourceQuery): Promise<VolumeInfo[]>;
  /** Only snapshots owned by this account. */
  describeSnapshots(query: ResourceQuery): Promise<SnapshotInfo[]>;
  /** One crash-consistent snapshot of every EBS volume of the instance, tagged at creation. */
  createSnapshots(instanceId: string, tags: Tags): Promise<Array<{ snapshotId: string; volumeId: string }>>;
  deleteSnapshot(snapshotId: string): Promise<void>;
  createVolume(request: CreateVolumeRequest): Promise<VolumeInfo>;
  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void>;
  deleteVolume(volumeId: string): Promise<void>;
  runInstance(request: RunInstanceRequest): Promise<InstanceInfo>;
  terminateInstances(instanceIds: readonly string[]): Promise<void>;
  findLaunchTemplate(name: string): Promise<LaunchTemplateInfo | null>;
  /** The default subnet of the AZ in the default VPC, if any. */
  defaultSubnet(availabilityZone: string): Promise<string | null>;
  /** The subnets of these ids that exist (unknown ids are left out, not an error). */
  describeSubnets(ids: readonly string[]): Promise<SubnetInfo[]>;
}

/** What a sync reads to size its zSATs to the account's vCPU quota (runtime/core/sync/vcpu-quota.ts). Reads only. */
export interface VcpuCapacityPort {
  /** The applied Running On-Demand Standard vCPU quota (Service Quotas, ec2/L-1216C47A). */
  standardVcpuQuota(): Promise<number>;
  /** vCPUs of the Standard instances pending or running in the region, whoever's they are. */
  standardVcpusInUse(): Promise<number>;
  /** An instance type's default vCPUs; null when EC2 does not know it. */
  vcpusOf(instanceType: string): Promise<number | null>;
}

export interface ChangedBlock {
  readonly index: number;
  /** The block holds data in the base snapshot. */
  readonly inBase: boolean;
  /** The block holds data in the new snapshot (false: trimmed/zeroed since the base). */
  readonly inNew: boolean;
}

export interface EbsBlocksPort {
  /** Indexes of every allocated block of a completed snapshot, ascending, with the snapshot's block size. */
  listSnapshotBlocks(snapshotId: string): Promise<{ blockSize: number; indexes: number[] }>;
  /** Blocks that differ between two snapshots of one lineage, ascending. */
  listChangedBlocks(baseSnapshotId: string, snapshotId: string): Promise<{ blockSize: number; blocks: ChangedBlock[] }>;
}

export interface RunningExecution {
  readonly executionArn: string;
  readonly name: string;
  /** ISO time. */
  readonly startDate: string;
}

export interface ExecutionsPort {
  /** RUNNING executions; eventually consistent in AWS (a hint, never a lock: the VPG lease is). */
  listRunning(stateMachineArn: string): Promise<RunningExecution[]>;
  /** Whether one execution still runs (DescribeExecution); 'unknown' when it does not exist (yet) or cannot be read. */
  state(executionArn: string): Promise<'running' | 'ended' | 'unknown'>;
  /**
   * StartExecution with a given name (a sync's continuation, sync/continue.ts); its ARN. The same name and input
   * while it runs, or already ended, is the same execution (Step Functions' own idempotency for Standard workflows).
   */
  start(stateMachineArn: string, name: string, input: unknown): Promise<string>;
}

/** Structured JSON log; every line carries the VPG, sync id and execution (set by the handler). */
export interface StepLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What the failback steps need beyond the sync's ports: blank volumes, single-volume snapshots, stopping the
 * protected instances, launching recovered VMs from snapshots, and running the VPG's sync. Implemented over
 * the SDK in runtime/aws/ec2-recovery.ts and runtime/aws/sfn-sync-runs.ts; in memory in tests.
 */
import type { StepBasics, StepDeps } from '../sync/deps';
import type { InstanceState, ResourceQuery, VolumeInfo } from '../ports';
import type { Tags } from '../tags';

export interface InstanceDetails {
  readonly instanceId: string;
  readonly state: InstanceState;
  readonly instanceType: string;
  readonly imageId: string;
  readonly tags: Tags;
}

export interface BlankVolumeRequest {
  readonly sizeGiB: number;
  /** Encrypt the volume under this KMS key (of the recovery region: recovery-site.ts). */
  readonly kmsKeyId?: string;
  /** Encrypt it with the region's default EBS key (no key of the checkpoint's exists here). */
  readonly encrypted?: boolean;
  readonly availabilityZone: string;
  readonly tags: Tags;
  readonly clientToken: string;
}

/** One EBS volume of a recovered VM: its original device, the snapshot of its recovered copy, its EBS settings. */
export interface RecoveredDevice {
  readonly device: string;
  readonly snapshotId: string;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
}

export interface RecoveredLaunchRequest {
  readonly imageId: string;
  readonly instanceType: string;
  readonly subnetId?: string;
  readonly securityGroupIds?: readonly string[];
  readonly privateIp?: string;
  /** Original device name → snapshot of the recovered volume; empty when the image maps them all itself. */
  readonly devices: readonly RecoveredDevice[];
  readonly clientToken: string;
  readonly instanceTags: Tags;
  readonly volumeTags: Tags;
  readonly networkInterfaceTags: Tags;
}

export interface RecoveryPort {
  instanceDetails(instanceIds: readonly string[]): Promise<InstanceDetails[]>;
  createBlankVolume(request: BlankVolumeRequest): Promise<VolumeInfo>;
  /** One snapshot of one volume, tagged at creation. */
  createSnapshot(volumeId: string, tags: Tags, description: string): Promise<string>;
  stopInstances(instanceIds: readonly string[]): Promise<void>;
  /** The image a recovered VM launches from: `preferred` if it still exists, else the region's current Amazon Linux. */
  launchImage(preferred: readonly string[]): Promise<{ imageId: string } | null>;
  runRecoveredInstance(request: RecoveredLaunchRequest): Promise<{ instanceId: string }>;
  /** The availability zone of a subnet, or null when it does not exist. */
  subnetZone(subnetId: string): Promise<string | null>;
  /** The zones that have a default subnet (the default VPC's); none without a default VPC. */
  defaultSubnetZones(): Promise<string[]>;
}

export interface ImageInfo {
  readonly imageId: string;
  readonly name: string;
  /** pending, available, failed, … (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html) */
  readonly state: string;
  readonly tags: Tags;
  readonly rootDeviceName: string;
  readonly devices: ReadonlyArray<{ readonly device: string; readonly snapshotId?: string }>;
}

/** An EBS-backed image registered from a recovered VM's snapshots (HVM always: recovered-image.ts). */
export interface RegisterImageRequest {
  /** Unique per account and region: a retried registration finds its image by it. */
  readonly name: string;
  readonly description: string;
  readonly architecture: string;
  readonly bootMode?: string;
  readonly rootDeviceName: string;
  readonly enaSupport: boolean;
  readonly devices: readonly RecoveredDevice[];
  readonly tags: Tags;
}

/** The recovery region's images of this account. */
export interface ImagesPort {
  /** Own images (owner self) by ids and/or exact tags; unknown ids are left out. */
  describeImages(query: ResourceQuery): Promise<ImageInfo[]>;
  /** Tagged at creation; an image of this name already registered (a retried step) is that image. */
  registerImage(request: RegisterImageRequest): Promise<string>;
  deregisterImage(imageId: string): Promise<void>;
}

/** KMS as a recovery asks it: does a key exist in the recovery region ('unknown' when KMS would not say). */
export interface KeysPort {
  keyState(keyArn: string): Promise<'exists' | 'missing' | 'unknown'>;
}

export type SyncRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface SyncRun {
  readonly status: SyncRunStatus;
  /** The execution's output (JSON text) once it succeeded. */
  readonly output?: string;
  readonly cause?: string;
}

export interface SyncRunsPort {
  /** Starts an execution with `input` (the failback's lease grant); same name and input while it runs: the same one. */
  start(stateMachineArn: string, name: string, input?: unknown): Promise<string>;
  describe(executionArn: string): Promise<SyncRun>;
}

export interface FailbackDeps extends StepDeps {
  readonly recovery: RecoveryPort;
  readonly syncRuns: SyncRunsPort;
  readonly keys: KeysPort;
  readonly images: ImagesPort;
}

/** A failback step's dependencies narrowed to the ports it uses (see StepDepsWith). */
export type FailbackDepsWith<K extends keyof FailbackDeps> = StepBasics & Pick<FailbackDeps, K>;

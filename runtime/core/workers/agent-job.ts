/**
 * The contract between the Lambda steps and the agent on a zSAT / ZImporter instance.
 * A step writes an AgentJob to the replica store and tags the instance with TAG.agentJob = s3://bucket/key;
 * the agent reads that tag through IMDS, runs the job, and keeps AgentProgress fresh (its heartbeat);
 * a reader finishes by writing an AgentResult, then marks its progress 'done'.
 */
export const BLOCK_SIZE = 512 * 1024;

/** Where the agent finds a volume's block device: AWS Nitro exposes NVMe links named by volume id (without the dash). */
export const DEVICE_DIR_DEFAULT = '/dev/disk/by-id';
/** The replica bucket's region when it is not the instance's (the worker template's user data exports it). */
export const STORE_REGION_ENV = 'LIFEBOAT_STORE_REGION';

/** The agent's setting for another folder of the same links (an image that puts them elsewhere); docs/config.md. */
export const DEVICE_DIR_ENV = 'LIFEBOAT_DEVICE_DIR';
export function deviceLinkName(volumeId: string): string {
  return `nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`;
}

export interface StoreLocation {
  readonly bucket: string;
  /** Key prefix of the VPG in the replica store, ending in '/': `vpgs/<vpg>/`. */
  readonly prefix: string;
}

export interface ReadJobVolume {
  /** The zSAT volume attached to this instance (created from the sync's snapshot). */
  readonly volumeId: string;
  /** The protected volume it is a copy of. */
  readonly sourceVolumeId: string;
  readonly sizeBytes: number;
  /** Store key (relative to the bucket) of the BlockPlan for this volume. */
  readonly planKey: string;
}

export interface ImportJobVolume {
  /** The new volume attached to this importer, to be written. */
  readonly volumeId: string;
  readonly sourceVolumeId: string;
  readonly sizeBytes: number;
  /** Checkpoint whose content of sourceVolumeId is written. */
  readonly checkpointId: string;
  /** The target is a new, all-zero volume: zero blocks need no write. Default true. */
  readonly blank?: boolean;
  /** The recovery region's KMS key the target is created encrypted under (the source volume's, or its replica). */
  readonly kmsKeyId?: string;
  /** Created encrypted with the region's default EBS key (the source's key does not exist there). */
  readonly encrypted?: boolean;
}

interface JobBase {
  readonly jobId: string;
  readonly vpg: string;
  readonly store: StoreLocation;
  readonly progressKey: string;
  readonly resultKey: string;
  /** The agent rewrites its progress at least this often. */
  readonly heartbeatSeconds: number;
}

export interface ReadJob extends JobBase {
  readonly kind: 'read';
  readonly syncId: string;
  /** The sync execution, so the agent's log lines name it too (absent in jobs written before it existed). */
  readonly executionId?: string;
  readonly volumes: readonly ReadJobVolume[];
}

export interface ImportJob extends JobBase {
  readonly kind: 'import';
  readonly executionId: string;
  readonly volumes: readonly ImportJobVolume[];
}

export type AgentJob = ReadJob | ImportJob;

/** Blocks a sync must read from one volume's snapshot: indexes of 512 KiB blocks, ascending. */
export interface BlockPlan {
  readonly sourceVolumeId: string;
  readonly snapshotId: string;
  readonly baseSnapshotId: string | null;
  readonly sizeBytes: number;
  readonly blocks: readonly number[];
}

export interface AgentProgress {
  readonly jobId: string;
  readonly state: 'running' | 'done' | 'failed';
  /** ISO time of the last heartbeat. */
  readonly updatedAt: string;
  /** ISO time the agent started this job (its first heartbeat); the pollers measure its rate from it. */
  readonly startedAt?: string;
  readonly blocksTotal: number;
  readonly blocksDone: number;
  readonly bytesRead: number;
  readonly bytesStored: number;
  readonly error?: string;
}

/** Block reference in a manifest: the block's SHA-256 (hex), or 'zero' for an all-zero block (never stored). */
export type BlockRef = string;
export const ZERO_BLOCK: BlockRef = 'zero';

export interface VolumeReadResult {
  readonly sourceVolumeId: string;
  /** block index → BlockRef, for every planned block. */
  readonly blocks: Readonly<Record<string, BlockRef>>;
  readonly blocksRead: number;
  readonly bytesRead: number;
  /** Bytes of new block data this job added to the store (after dedup and zero elision). */
  readonly bytesStored: number;
}

export interface AgentResult {
  readonly jobId: string;
  readonly volumes: readonly VolumeReadResult[];
  /** Pack objects this job wrote (keys relative to the store prefix). */
  readonly packs: readonly string[];
}

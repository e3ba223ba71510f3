/**
 * The replica store as the Lambda steps and the CLI see it. One module owns the format
 * (runtime/core/store/format.ts, pure: keys, manifest types, chain resolution, compaction plans);
 * runtime/aws/s3-replica-store.ts implements this port over S3. The agent uses the same format module.
 *
 * Layout (bucket-relative keys; `vpgs/<vpg>/` is one VPG's prefix, the agent role may write only there):
 *   vpgs/<vpg>/packs/<packId>.pack            immutable pack objects: concatenated 512 KiB blocks
 *   vpgs/<vpg>/packs/<packId>.idx.json        the pack's index: [{hash, offset, length}]
 *   vpgs/<vpg>/checkpoints/<checkpointId>.json a committed checkpoint manifest (written last; visible = committed)
 *   vpgs/<vpg>/syncs/<syncId>/...             a sync's working files: plans, jobs, progress, results
 */
import type { AgentResult, BlockRef } from '../workers/agent-job';
import type { CheckpointInstance } from './instance-facts';

export interface CheckpointVolume {
  readonly sourceVolumeId: string;
  readonly sourceInstanceId: string;
  readonly device: string;
  readonly sizeBytes: number;
  readonly snapshotId: string;
  /** The protected volume's KMS key ARN when it was encrypted (absent: not encrypted; docs/kms.md). */
  readonly kmsKeyId?: string;
  /** Its EBS type, IOPS and throughput (MiB/s) at the checkpoint; absent in manifests written before they were recorded. */
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
  readonly blocksChanged: number;
  readonly blocksRead: number;
  readonly bytesStored: number;
  /** block index → BlockRef: the blocks changed since the parent checkpoint (every block when `full`). */
  readonly blocks: Readonly<Record<string, BlockRef>>;
}

export interface CheckpointManifest {
  readonly format: 1;
  readonly id: string;
  readonly vpg: string;
  readonly syncId: string;
  /** ISO time the snapshots were taken (the checkpoint's point in time). */
  readonly createdAt: string;
  readonly parentId: string | null;
  /** True when `blocks` is a full map (first sync, or compacted). */
  readonly full: boolean;
  readonly volumes: readonly CheckpointVolume[];
  /** What a launch elsewhere needs of each protected instance (store/instance-facts.ts); absent in older manifests. */
  readonly instances?: readonly CheckpointInstance[];
}

export interface CheckpointSummary {
  readonly id: string;
  readonly createdAt: string;
  readonly parentId: string | null;
  readonly volumes: ReadonlyArray<Omit<CheckpointVolume, 'blocks'>>;
  readonly instances?: readonly CheckpointInstance[];
}

export interface ReplicaStorePort {
  putJson(key: string, value: unknown): Promise<void>;
  /** null when the object does not exist. */
  getJson<T>(key: string): Promise<T | null>;
  deletePrefix(prefix: string): Promise<number>;
  /** Every committed checkpoint of the VPG, oldest first. */
  listCheckpoints(vpg: string): Promise<CheckpointSummary[]>;
  getCheckpoint(vpg: string, checkpointId: string): Promise<CheckpointManifest | null>;
  /** Write the manifest (last, atomically): only then is the checkpoint visible. */
  commitCheckpoint(manifest: CheckpointManifest): Promise<void>;
  /** block index → BlockRef of one volume at a checkpoint, resolved through the parent chain. */
  resolveVolume(vpg: string, checkpointId: string, sourceVolumeId: string): Promise<Map<number, BlockRef>>;
}

export type { AgentResult };

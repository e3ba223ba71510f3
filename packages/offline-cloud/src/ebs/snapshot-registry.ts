/**
 * The snapshots the EBS direct API emulator shares with the EC2 emulator (which owns them and
 * provides an object with exactly these members). The bytes live in VolumeStorage; this is the metadata.
 */
export type SnapshotState = 'pending' | 'completed' | 'error';

export interface SnapshotRecordView {
  snapshotId: string;
  volumeId: string;
  /** GiB. */
  volumeSize: number;
  state: SnapshotState;
  startTime: Date;
  description?: string;
  tags: Record<string, string>;
  ownerId: string;
  parentSnapshotId?: string;
  /** The same string for snapshots of one volume lineage; ListChangedBlocks needs both in one. */
  /** The KMS key ARN of an encrypted snapshot (its blocks are read through kms:Decrypt). */
  kmsKeyId?: string;
  lineage: string;
}

export interface SnapshotRegistry {
  get(id: string): SnapshotRecordView | undefined;
  add(record: SnapshotRecordView): void;
  setState(id: string, state: SnapshotState): void;
}

/** A registry in memory, for tests and for running the EBS emulator without EC2. */
export class InMemorySnapshotRegistry implements SnapshotRegistry {
  private readonly records = new Map<string, SnapshotRecordView>();

  get(id: string): SnapshotRecordView | undefined {
    return this.records.get(id);
  }

  add(record: SnapshotRecordView): void {
    this.records.set(record.snapshotId, { ...record, tags: { ...record.tags } });
  }

  setState(id: string, state: SnapshotState): void {
    const record = this.records.get(id);
    if (!record) throw new Error(`no snapshot ${id}`);
    record.state = state;
  }
}

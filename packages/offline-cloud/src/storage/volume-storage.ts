/**
 * The bytes behind EC2 volumes and snapshots in the offline cloud (src/storage/ implements it;
 * the EC2 emulator and the EBS direct API emulator both use it). Volumes are sparse files, so a
 * 100 GiB volume costs only what was written. A snapshot is the content at the instant it was captured.
 * All methods are synchronous on purpose: a multi-volume capture happens at one instant, with no
 * write (admin route, agent) interleaved inside the event loop.
 */
export interface VolumeStorage {
  /** Creates the volume's file; from a snapshot, its content is that snapshot's. */
  createVolume(volumeId: string, sizeBytes: number, fromSnapshotId?: string): void;
  deleteVolume(volumeId: string): void;
  hasVolume(volumeId: string): boolean;
  /** The file holding the volume's bytes (what a booted instance sees as its device). */
  volumePath(volumeId: string): string;
  /** Writes bytes at any offset; throws RangeError past the end. */
  writeVolume(volumeId: string, offset: number, data: Buffer): void;
  readVolume(volumeId: string, offset: number, length: number): Buffer;

  /** Captures every pair at the same instant. */
  captureSnapshots(pairs: ReadonlyArray<{ snapshotId: string; volumeId: string }>): void;
  deleteSnapshot(snapshotId: string): void;
  /** Allocated 512 KiB blocks of a snapshot: block index → SHA-256 hex. */
  snapshotBlocks(snapshotId: string): ReadonlyMap<number, string>;
  readSnapshotBlock(snapshotId: string, blockIndex: number): Buffer;

  /** EBS direct API writes: an empty snapshot (optionally on top of a parent's blocks) filled block by block. */
  beginSnapshot(snapshotId: string, parentSnapshotId?: string): void;
  putSnapshotBlock(snapshotId: string, blockIndex: number, data: Buffer): void;
}

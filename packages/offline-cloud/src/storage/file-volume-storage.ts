/**
 * VolumeStorage on the local disk:
 *   <dir>/volumes/<volumeId>.img      sparse file of the volume's full size (costs only what was written)
 *   <dir>/volumes/<volumeId>.alloc    bitmap of allocated 512 KiB blocks (see BlockBitmap)
 *   <dir>/blobs/ab/<sha256>           block contents, content-addressed, written once
 *   <dir>/snapshots/<snapshotId>.json block index → sha256, plus sizeBytes
 * Everything is on disk, so a new instance over the same dir sees the same volumes and snapshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VolumeStorage } from './volume-storage';
import { BlobStore, sha256Hex } from './blob-store';
import { BlockBitmap } from './block-bitmap';
import { SnapshotMaps, type SnapshotMap } from './snapshot-maps';
import { dataExtents } from './data-extents';

/** The EBS block size (EBS direct APIs); src/ may not import lambda/, so it is restated here. */
export const EBS_BLOCK_SIZE = 512 * 1024;
/** Capture reads this much at a time; an all-zero chunk with no allocated block costs one memcmp. */
const CAPTURE_CHUNK_BLOCKS = 32;
const ZERO_CHUNK = Buffer.alloc(CAPTURE_CHUNK_BLOCKS * EBS_BLOCK_SIZE);
const ZERO_BLOCK = ZERO_CHUNK.subarray(0, EBS_BLOCK_SIZE);
export const ZERO_BLOCK_HASH = sha256Hex(ZERO_BLOCK);

export class FileVolumeStorage implements VolumeStorage {
  private readonly volumesDir: string;
  private readonly blobs: BlobStore;
  private readonly maps: SnapshotMaps;
  private readonly bitmaps = new Map<string, BlockBitmap>();

  /** `probeExtents: false` reads whole files on capture (the fallback when filefrag is unavailable). */
  constructor(
    readonly dir: string,
    private readonly options: { probeExtents?: boolean } = {},
  ) {
    this.volumesDir = path.join(dir, 'volumes');
    fs.mkdirSync(this.volumesDir, { recursive: true });
    this.blobs = new BlobStore(path.join(dir, 'blobs'));
    this.maps = new SnapshotMaps(path.join(dir, 'snapshots'));
  }

  // ---- volumes ----

  volumePath(volumeId: string): string {
    return path.join(this.volumesDir, `${volumeId}.img`);
  }

  private bitmapPath(volumeId: string): string {
    return path.join(this.volumesDir, `${volumeId}.alloc`);
  }

  hasVolume(volumeId: string): boolean {
    return fs.existsSync(this.volumePath(volumeId));
  }

  private volumeSize(volumeId: string): number {
    try {
      return fs.statSync(this.volumePath(volumeId)).size;
    } catch {
      throw new Error(`volume ${volumeId} does not exist`);
    }
  }

  private bitmap(volumeId: string): BlockBitmap {
    let bitmap = this.bitmaps.get(volumeId);
    if (!bitmap) {
      const blockCount = Math.ceil(this.volumeSize(volumeId) / EBS_BLOCK_SIZE);
      bitmap = BlockBitmap.open(this.bitmapPath(volumeId), blockCount);
      this.bitmaps.set(volumeId, bitmap);
    }
    return bitmap;
  }

  createVolume(volumeId: string, sizeBytes: number, fromSnapshotId?: string): void {
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new RangeError(`invalid volume size ${sizeBytes}`);
    if (this.hasVolume(volumeId)) throw new Error(`volume ${volumeId} already exists`);
    const source = fromSnapshotId === undefined ? undefined : this.requireMap(fromSnapshotId);
    const file = this.volumePath(volumeId);
    const fd = fs.openSync(file, 'w');
    try {
      fs.ftruncateSync(fd, sizeBytes);
      for (const [index, hash] of source?.blocks ?? []) {
        if ((index + 1) * EBS_BLOCK_SIZE > sizeBytes) throw new RangeError(`snapshot block ${index} lies past the end of ${volumeId}`);
        // A zero block stays a hole in the file; the bitmap still marks it allocated.
        if (hash !== ZERO_BLOCK_HASH) fs.writeSync(fd, this.blobs.get(hash), 0, EBS_BLOCK_SIZE, index * EBS_BLOCK_SIZE);
      }
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(file, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    fs.rmSync(this.bitmapPath(volumeId), { force: true });
    this.bitmaps.delete(volumeId);
    if (source) this.bitmap(volumeId).setAll(source.blocks.keys());
  }

  deleteVolume(volumeId: string): void {
    fs.rmSync(this.volumePath(volumeId), { force: true });
    fs.rmSync(this.bitmapPath(volumeId), { force: true });
    this.bitmaps.delete(volumeId);
  }

  private checkRange(volumeId: string, offset: number, length: number): void {
    const size = this.volumeSize(volumeId);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + length > size) {
      throw new RangeError(`range ${offset}+${length} is outside volume ${volumeId} (${size} bytes)`);
    }
  }

  writeVolume(volumeId: string, offset: number, data: Buffer): void {
    this.checkRange(volumeId, offset, data.length);
    if (data.length === 0) return;
    const fd = fs.openSync(this.volumePath(volumeId), 'r+');
    try {
      writeFully(fd, data, offset);
    } finally {
      fs.closeSync(fd);
    }
    this.bitmap(volumeId).setRange(Math.floor(offset / EBS_BLOCK_SIZE), Math.floor((offset + data.length - 1) / EBS_BLOCK_SIZE));
  }

  readVolume(volumeId: string, offset: number, length: number): Buffer {
    this.checkRange(volumeId, offset, length);
    const buf = Buffer.alloc(length);
    const fd = fs.openSync(this.volumePath(volumeId), 'r');
    try {
      readFully(fd, buf, length, offset);
    } finally {
      fs.closeSync(fd);
    }
    return buf;
  }

  // ---- snapshots ----

  captureSnapshots(pairs: ReadonlyArray<{ snapshotId: string; volumeId: string }>): void {
    for (const { snapshotId } of pairs) if (this.maps.has(snapshotId)) throw new Error(`snapshot ${snapshotId} already exists`);
    for (const { volumeId } of pairs) this.volumeSize(volumeId); // all volumes exist before anything is written
    for (const { snapshotId, volumeId } of pairs) this.maps.save(snapshotId, this.capture(volumeId));
  }

  /**
   * Reads every block that may be allocated (the file's data extents plus the bitmap's blocks; the
   * whole file when the extents are unknown) in large chunks, and stores the new contents.
   */
  private capture(volumeId: string): SnapshotMap {
    const sizeBytes = this.volumeSize(volumeId);
    const bitmap = this.bitmap(volumeId);
    const blocks = new Map<number, string>();
    const discovered: number[] = [];
    const chunk = Buffer.allocUnsafe(ZERO_CHUNK.length);
    const fd = fs.openSync(this.volumePath(volumeId), 'r');
    try {
      for (const [firstBlock, endBlock] of this.blockRangesToRead(volumeId, sizeBytes, bitmap)) {
        for (let first = firstBlock; first < endBlock; first += CAPTURE_CHUNK_BLOCKS) {
          const blockCount = Math.min(CAPTURE_CHUNK_BLOCKS, endBlock - first);
          const offset = first * EBS_BLOCK_SIZE;
          const padded = blockCount * EBS_BLOCK_SIZE;
          const length = Math.min(padded, sizeBytes - offset);
          chunk.fill(0, length, padded); // a partial last block reads as zero-padded
          readFully(fd, chunk, length, offset);
          const anyAllocated = bitmap.anyInRange(first, first + blockCount - 1);
          if (!anyAllocated && chunk.subarray(0, padded).equals(ZERO_CHUNK.subarray(0, padded))) continue;
          for (let i = 0; i < blockCount; i++) {
            const data = chunk.subarray(i * EBS_BLOCK_SIZE, (i + 1) * EBS_BLOCK_SIZE);
            const index = first + i;
            const written = bitmap.has(index);
            if (!written && data.equals(ZERO_BLOCK)) continue;
            // A non-zero block we never saw written was written to the file directly (a booted instance's agent).
            if (!written) discovered.push(index);
            const hash = sha256Hex(data);
            this.blobs.put(hash, data);
            blocks.set(index, hash);
          }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    bitmap.setAll(discovered);
    return { sizeBytes, blocks };
  }

  /** [firstBlock, endBlock) ranges, ascending and disjoint, that cover every possibly allocated block. */
  private blockRangesToRead(volumeId: string, sizeBytes: number, bitmap: BlockBitmap): Array<[number, number]> {
    const blockCount = Math.ceil(sizeBytes / EBS_BLOCK_SIZE);
    const extents = this.options.probeExtents === false ? undefined : dataExtents(this.volumePath(volumeId));
    if (!extents) return [[0, blockCount]];
    const ranges: Array<[number, number]> = extents.map(([start, end]) => [
      Math.floor(start / EBS_BLOCK_SIZE),
      Math.min(blockCount, Math.ceil(end / EBS_BLOCK_SIZE)),
    ]);
    for (const b of bitmap.blocks()) ranges.push([b, b + 1]);
    return mergeRanges(ranges);
  }

  private requireMap(snapshotId: string): SnapshotMap {
    const map = this.maps.get(snapshotId);
    if (!map) throw new Error(`snapshot ${snapshotId} does not exist in volume storage`);
    return map;
  }

  hasSnapshot(snapshotId: string): boolean {
    return this.maps.has(snapshotId);
  }

  /** The volume size the snapshot was taken of (0 for an EBS-API snapshot without a parent). */
  snapshotSizeBytes(snapshotId: string): number {
    return this.requireMap(snapshotId).sizeBytes;
  }

  snapshotBlocks(snapshotId: string): ReadonlyMap<number, string> {
    return this.requireMap(snapshotId).blocks;
  }

  readSnapshotBlock(snapshotId: string, blockIndex: number): Buffer {
    const hash = this.requireMap(snapshotId).blocks.get(blockIndex);
    // An unallocated block of a snapshot reads as zeros, as on a volume created from it.
    return hash === undefined ? Buffer.alloc(EBS_BLOCK_SIZE) : this.blobs.get(hash);
  }

  beginSnapshot(snapshotId: string, parentSnapshotId?: string): void {
    if (this.maps.has(snapshotId)) throw new Error(`snapshot ${snapshotId} already exists`);
    const parent = parentSnapshotId === undefined ? undefined : this.requireMap(parentSnapshotId);
    this.maps.save(snapshotId, { sizeBytes: parent?.sizeBytes ?? 0, blocks: new Map(parent?.blocks ?? []) });
  }

  putSnapshotBlock(snapshotId: string, blockIndex: number, data: Buffer): void {
    this.requireMap(snapshotId);
    if (!Number.isSafeInteger(blockIndex) || blockIndex < 0) throw new RangeError(`invalid block index ${blockIndex}`);
    if (data.length !== EBS_BLOCK_SIZE) throw new RangeError(`a block is ${EBS_BLOCK_SIZE} bytes, got ${data.length}`);
    const hash = sha256Hex(data);
    this.blobs.put(hash, data); // the blob is durable before the map refers to it
    this.maps.putBlock(snapshotId, blockIndex, hash);
  }

  /** Removes the map and every blob no other snapshot refers to (a sweep over the maps in memory). */
  deleteSnapshot(snapshotId: string): void {
    const removed = this.maps.delete(snapshotId);
    if (!removed) return;
    const candidates = new Set(removed.blocks.values());
    for (const map of this.maps.all()) {
      for (const hash of map.blocks.values()) candidates.delete(hash);
      if (candidates.size === 0) return;
    }
    for (const hash of candidates) this.blobs.delete(hash);
  }
}

/** Sorts and merges overlapping or touching [start, end) ranges. */
export function mergeRanges(ranges: Array<[number, number]>): Array<[number, number]> {
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of ranges) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else if (end > start) merged.push([start, end]);
  }
  return merged;
}

function readFully(fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) {
      buf.fill(0, done, length); // the file ended early (shrunk under us): read the rest as zeros
      return;
    }
    done += n;
  }
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let done = 0;
  while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, position + done);
}

/**
 * Appends new blocks to a pack buffer and uploads full packs with a bounded number in flight.
 * `add` waits when that many uploads are running: backpressure that keeps memory flat whatever the volume size.
 */
import { createHash } from 'node:crypto';
import type { PackIndexEntry } from '../core/pack-index';
import { relativePackKey } from '../core/replica-format';

/**
 * The id of a pack the agent writes: SHA-256 (hex) over its blocks' hashes in pack order, one per line.
 * Each block hash already covers its bytes (and is verified on every read), so this names the content as
 * surely as a hash of the whole object, without a second full SHA-256 pass over every stored byte on the
 * main thread (that pass halved the read pipeline on 2 cores).
 */
export function packIdOf(blockHashes: readonly string[]): string {
  const h = createHash('sha256');
  for (const hash of blockHashes) h.update(`${hash}\n`);
  return h.digest('hex');
}

export interface PackSink {
  putPack(vpg: string, bytes: Uint8Array, index: readonly PackIndexEntry[], packId?: string): Promise<{ packId: string; packKey: string }>;
}

export interface PackWriterOptions {
  readonly store: PackSink;
  readonly vpg: string;
  readonly packBytes: number;
  readonly uploadsInFlight: number;
}

export class PackWriter {
  /** Keys (relative to the VPG prefix) of the packs uploaded so far. */
  readonly packs: string[] = [];
  private buffer: Buffer | null = null;
  private used = 0;
  private entries: PackIndexEntry[] = [];
  private readonly uploads = new Set<Promise<void>>();
  private failure: Error | null = null;
  /** Pack buffers whose upload finished, reused for the next packs. */
  private readonly spare: Buffer[] = [];

  constructor(private readonly options: PackWriterOptions) {}

  async add(hash: string, block: Uint8Array): Promise<void> {
    this.throwIfFailed();
    if (this.buffer && this.used + block.length > this.buffer.length) await this.flush();
    if (!this.buffer) {
      this.buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(Math.max(this.options.packBytes, block.length));
      this.used = 0;
    }
    this.buffer.set(block, this.used);
    this.entries.push({ hash, offset: this.used, length: block.length });
    this.used += block.length;
  }

  /** Upload the current pack (if any); waits for a free upload slot first. */
  async flush(): Promise<void> {
    if (!this.buffer || this.used === 0) return;
    const { buffer, used, entries } = this;
    const packId = packIdOf(entries.map((e) => e.hash));
    this.buffer = null;
    this.used = 0;
    this.entries = [];
    while (this.uploads.size >= this.options.uploadsInFlight) await Promise.race(this.uploads);
    this.throwIfFailed();
    const upload = this.upload(buffer, used, entries, packId)
      .catch((e: Error) => {
        this.failure ??= e;
      })
      .finally(() => this.uploads.delete(upload));
    this.uploads.add(upload);
  }

  /** Flush the last pack and wait for every upload; throws the first upload error. */
  async finish(): Promise<string[]> {
    await this.flush();
    await Promise.all(this.uploads);
    this.throwIfFailed();
    return [...this.packs];
  }

  /** Wait for uploads already started, ignoring their outcome (after a failure, before cleaning up). */
  async settle(): Promise<void> {
    this.buffer = null;
    await Promise.allSettled(this.uploads);
  }

  private async upload(buffer: Buffer, used: number, entries: PackIndexEntry[], packId: string): Promise<void> {
    await this.options.store.putPack(this.options.vpg, buffer.subarray(0, used), entries, packId);
    this.packs.push(relativePackKey(packId));
    if (this.spare.length < 2 && buffer.length >= this.options.packBytes) this.spare.push(buffer);
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

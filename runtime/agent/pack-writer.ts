/**
 * Gathers new blocks into packs and uploads full packs with a bounded number in flight.
 * A pack is a list of views into the reader's run buffers, never a copy: each view's buffer is held
 * (BufferHold) until the pack's upload settles. `add` waits when that many uploads are running:
 * backpressure that keeps memory flat whatever the volume size.
 */
import { createHash } from 'node:crypto';
import type { PackIndexEntry } from '../core/store/pack-index';
import { relativePackKey } from '../core/store/format';

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
  /** `chunks` are the pack's bytes in order (one object, uploaded without joining them). */
  putPack(
    vpg: string,
    chunks: Uint8Array | readonly Uint8Array[],
    index: readonly PackIndexEntry[],
    packId?: string,
  ): Promise<{ packId: string; packKey: string }>;
}

/** A counted claim on the memory a block view lies in: the owner may reuse it once every holder released it. */
export interface BufferHold {
  retain(): void;
  release(): void;
}

export interface PackWriterOptions {
  readonly store: PackSink;
  readonly vpg: string;
  readonly packBytes: number;
  readonly uploadsInFlight: number;
}

interface OpenPack {
  readonly chunks: Uint8Array[];
  readonly holds: Set<BufferHold>;
  readonly entries: PackIndexEntry[];
  used: number;
}

const emptyPack = (): OpenPack => ({ chunks: [], holds: new Set(), entries: [], used: 0 });

export class PackWriter {
  /** Keys (relative to the VPG prefix) of the packs uploaded so far. */
  readonly packs: string[] = [];
  private pack = emptyPack();
  private readonly uploads = new Set<Promise<void>>();
  private failure: Error | null = null;

  constructor(private readonly options: PackWriterOptions) {}

  /** Add a block; `hold` covers the memory `block` lies in, which must not change until released. */
  async add(hash: string, block: Uint8Array, hold: BufferHold): Promise<void> {
    this.throwIfFailed();
    if (this.pack.used > 0 && this.pack.used + block.length > this.options.packBytes) await this.flush();
    const pack = this.pack;
    const last = pack.chunks[pack.chunks.length - 1];
    // Blocks read back to back stay one view: fewer, larger writes to the socket.
    if (last && last.buffer === block.buffer && last.byteOffset + last.byteLength === block.byteOffset) {
      pack.chunks[pack.chunks.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + block.byteLength);
    } else {
      pack.chunks.push(block);
    }
    if (!pack.holds.has(hold)) {
      hold.retain();
      pack.holds.add(hold);
    }
    pack.entries.push({ hash, offset: pack.used, length: block.length });
    pack.used += block.length;
  }

  /** Upload the current pack (if any); waits for a free upload slot first. */
  async flush(): Promise<void> {
    if (this.pack.used === 0) return;
    const pack = this.pack;
    this.pack = emptyPack();
    const packId = packIdOf(pack.entries.map((e) => e.hash));
    try {
      while (this.uploads.size >= this.options.uploadsInFlight) await Promise.race(this.uploads);
      this.throwIfFailed();
    } catch (e) {
      releaseAll(pack);
      throw e;
    }
    const upload = this.upload(pack, packId)
      .catch((e: Error) => {
        this.failure ??= e;
      })
      .finally(() => {
        releaseAll(pack);
        this.uploads.delete(upload);
      });
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
    releaseAll(this.pack);
    this.pack = emptyPack();
    await Promise.allSettled(this.uploads);
  }

  private async upload(pack: OpenPack, packId: string): Promise<void> {
    await this.options.store.putPack(this.options.vpg, pack.chunks, pack.entries, packId);
    this.packs.push(relativePackKey(packId));
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }
}

function releaseAll(pack: OpenPack): void {
  for (const hold of pack.holds) hold.release();
  pack.holds.clear();
}

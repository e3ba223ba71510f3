/**
 * The set of 512 KiB blocks of a volume that are allocated (ever written), one bit per block,
 * persisted in a small file beside the volume (a 1 TiB volume needs 256 KiB). Once allocated, a block
 * stays allocated, as in EBS: overwriting it with zeros does not make it a hole again.
 */
import fs from 'node:fs';

export class BlockBitmap {
  private constructor(
    private readonly file: string,
    private readonly bits: Buffer,
  ) {}

  /** Opens the bitmap file, or an empty one when it does not exist yet. */
  static open(file: string, blockCount: number): BlockBitmap {
    const bytes = Math.ceil(blockCount / 8);
    const bits = Buffer.alloc(bytes);
    if (fs.existsSync(file)) fs.readFileSync(file).copy(bits, 0, 0, bytes);
    return new BlockBitmap(file, bits);
  }

  has(block: number): boolean {
    return (this.bits[block >> 3] & (1 << (block & 7))) !== 0;
  }

  /** True when any block in [first, last] is set (whole zero bytes are skipped quickly). */
  anyInRange(first: number, last: number): boolean {
    for (let b = first; b <= last; b++) {
      if ((b & 7) === 0 && b + 7 <= last && this.bits[b >> 3] === 0) {
        b += 7;
        continue;
      }
      if (this.has(b)) return true;
    }
    return false;
  }

  /** Sets blocks [first, last] and persists only the bytes that changed. */
  setRange(first: number, last: number): void {
    const firstByte = first >> 3;
    const lastByte = last >> 3;
    let changed = false;
    for (let b = first; b <= last; b++) {
      const before = this.bits[b >> 3];
      this.bits[b >> 3] = before | (1 << (b & 7));
      if (this.bits[b >> 3] !== before) changed = true;
    }
    if (!changed) return;
    const fd = fs.openSync(this.file, fs.existsSync(this.file) ? 'r+' : 'w');
    try {
      fs.writeSync(fd, this.bits, firstByte, lastByte - firstByte + 1, firstByte);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Sets many blocks and, if any was new, rewrites the (small) file once. */
  setAll(blocks: Iterable<number>): void {
    let changed = false;
    for (const b of blocks) {
      const before = this.bits[b >> 3];
      this.bits[b >> 3] = before | (1 << (b & 7));
      if (this.bits[b >> 3] !== before) changed = true;
    }
    if (changed) fs.writeFileSync(this.file, this.bits);
  }

  /** Every set block, ascending. */
  *blocks(): Generator<number> {
    for (let byte = 0; byte < this.bits.length; byte++) {
      const v = this.bits[byte];
      if (v === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (v & (1 << bit)) yield byte * 8 + bit;
    }
  }
}

/**
 * Content-addressed block store: each distinct 512 KiB block is one file named by its SHA-256,
 * `<dir>/<first two hex>/<hash>`, written once (tmp + rename, so a crash never leaves a half blob
 * that would later pass for a complete one).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export class BlobStore {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private blobPath(hash: string): string {
    return path.join(this.dir, hash.slice(0, 2), hash);
  }

  /** Stores data under its hash (computed by the caller) unless already there. */
  put(hash: string, data: Buffer): void {
    const file = this.blobPath(hash);
    if (fs.existsSync(file)) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }

  /** The block, verified against its hash: a corrupt or missing blob throws. */
  get(hash: string): Buffer {
    const file = this.blobPath(hash);
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch {
      throw new Error(`block store: blob ${hash} is missing`);
    }
    if (sha256Hex(data) !== hash) throw new Error(`block store: blob ${hash} is corrupt (hash mismatch)`);
    return data;
  }

  delete(hash: string): void {
    fs.rmSync(this.blobPath(hash), { force: true });
  }
}

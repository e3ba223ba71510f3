/**
 * Opaque, unforgeable tokens of the EBS direct APIs, stateless so they survive a restart:
 *  - a BlockToken binds (snapshot, block index, block content hash, expiry), valid 7 days as in AWS;
 *  - a NextToken binds (listing scope, next block index, expiry), valid 60 minutes.
 * Each is base64 of the fields plus a truncated HMAC-SHA256 under a key kept in the data dir.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const BLOCK_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
export const PAGE_TOKEN_TTL_SECONDS = 3600;
const BLOCK_MAC_BYTES = 24;
const PAGE_MAC_BYTES = 16;

/** Reads the token key from `<dir>/token-key`, creating it on first use. */
export function loadTokenKey(dir: string): Buffer {
  const file = path.join(dir, 'token-key');
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, randomBytes(32));
    fs.renameSync(tmp, file);
  }
  return fs.readFileSync(file);
}

export class EbsTokens {
  constructor(private readonly key: Buffer) {}

  private mac(text: string, bytes: number): Buffer {
    return createHmac('sha256', this.key).update(text).digest().subarray(0, bytes);
  }

  blockToken(snapshotId: string, index: number, hash: string, expirySeconds: number): string {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(expirySeconds);
    const mac = this.mac(`block:${snapshotId}:${index}:${hash}:${expirySeconds}`, BLOCK_MAC_BYTES);
    return Buffer.concat([head, mac]).toString('base64');
  }

  /** True when the token was issued for exactly this block of this snapshot and has not expired. */
  verifyBlockToken(token: string, snapshotId: string, index: number, hash: string, nowSeconds: number): boolean {
    const raw = Buffer.from(token, 'base64');
    if (raw.length !== 4 + BLOCK_MAC_BYTES) return false;
    const expiry = raw.readUInt32BE(0);
    if (expiry < nowSeconds) return false;
    return timingSafeEqual(raw.subarray(4), this.mac(`block:${snapshotId}:${index}:${hash}:${expiry}`, BLOCK_MAC_BYTES));
  }

  pageToken(scope: string, nextIndex: number, nowSeconds: number): string {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(nextIndex, 0);
    head.writeUInt32BE(nowSeconds + PAGE_TOKEN_TTL_SECONDS, 4);
    const mac = this.mac(`page:${scope}:${nextIndex}:${nowSeconds + PAGE_TOKEN_TTL_SECONDS}`, PAGE_MAC_BYTES);
    return Buffer.concat([head, mac]).toString('base64');
  }

  /** The next block index a page token carries, or undefined when it is not valid for this scope (or expired). */
  readPageToken(token: string, scope: string, nowSeconds: number): number | undefined {
    const raw = Buffer.from(token, 'base64');
    if (raw.length !== 8 + PAGE_MAC_BYTES) return undefined;
    const nextIndex = raw.readUInt32BE(0);
    const expiry = raw.readUInt32BE(4);
    if (expiry < nowSeconds) return undefined;
    const ok = timingSafeEqual(raw.subarray(8), this.mac(`page:${scope}:${nextIndex}:${expiry}`, PAGE_MAC_BYTES));
    return ok ? nextIndex : undefined;
  }
}

/**
 * ReplicaStorePort over S3 (plus what the agent and export need: packs, hash locations, verified block reads).
 * The format (keys, manifests, chains) is lambda/core's; this file only moves bytes and translates errors.
 */
import { createHash } from 'node:crypto';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { BlockRef } from '../core/agent-job';
import type { CheckpointManifest, CheckpointSummary, ReplicaStorePort } from '../core/replica-store-port';
import {
  assertKeySegment,
  checkpointIdFromKey,
  checkpointKey,
  checkpointsPrefix,
  checkpointSummaryKey,
  packIdFromIndexKey,
  packIndexKey,
  packKey,
  packsPrefix,
  summarize,
} from '../core/replica-format';
import { buildHashLocations, decodePackIndex, encodePackIndex, type BlockLocation, type PackIndex, type PackIndexEntry } from '../core/pack-index';
import { resolveBlockMap } from '../core/replica-chain';
import { putChunks } from './s3-chunked-put';
import { makeS3Client } from './s3-client';
import { CorruptBlock, isNotFound, MissingBlock, ReplicaStoreError, storeError } from './s3-errors';

type StreamingBody = NonNullable<GetObjectCommandOutput['Body']>;

export interface S3ReplicaStoreOptions {
  readonly bucket: string;
  readonly client?: S3Client;
  /** Parallel GETs when loading many small objects (pack indexes, summaries). */
  readonly readConcurrency?: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class S3ReplicaStore implements ReplicaStorePort {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly readConcurrency: number;
  /** Last loaded hash locations per VPG, so readBlock need not list the store each time. */
  private readonly locations = new Map<string, Map<string, BlockLocation>>();

  constructor(options: S3ReplicaStoreOptions) {
    this.bucket = options.bucket;
    this.client = options.client ?? makeS3Client();
    this.readConcurrency = options.readConcurrency ?? 16;
  }

  // ---- plain objects ----
  async putJson(key: string, value: unknown): Promise<void> {
    await this.putBytes(key, Buffer.from(JSON.stringify(value)), 'application/json');
  }

  async getJson<T>(key: string): Promise<T | null> {
    const bytes = await this.getBytes(key);
    if (bytes === null) return null;
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (e) {
      throw new ReplicaStoreError(`s3://${this.bucket}/${key} is not valid JSON: ${(e as Error).message}`);
    }
  }

  async putBytes(key: string, body: Uint8Array, contentType = 'application/octet-stream'): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
    } catch (e) {
      throw storeError('PutObject', this.bucket, key, e);
    }
  }

  async putChunks(key: string, chunks: readonly Uint8Array[], contentType = 'application/octet-stream'): Promise<void> {
    try {
      await putChunks(this.client, { Bucket: this.bucket, Key: key, ContentType: contentType }, chunks);
    } catch (e) {
      throw storeError('PutObject', this.bucket, key, e);
    }
  }

  /** Whole object, or null when it does not exist. */
  async getBytes(key: string): Promise<Buffer | null> {
    return this.get(key);
  }

  /** `length` bytes at `offset`; null when the object does not exist. May be shorter at the object's end. */
  async getRange(key: string, offset: number, length: number): Promise<Buffer | null> {
    return this.get(key, `bytes=${offset}-${offset + length - 1}`);
  }

  /**
   * `target.length` bytes at `offset` read straight into `target` (one copy, from the socket's chunks);
   * the count read (short at the object's end), or null when the object does not exist.
   */
  async getRangeInto(key: string, offset: number, target: Uint8Array): Promise<number | null> {
    const range = `bytes=${offset}-${offset + target.length - 1}`;
    return this.getObject(key, range, async (body) => {
      let filled = 0;
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        if (filled + chunk.length > target.length) throw new ReplicaStoreError(`S3 GetObject (${range}) s3://${this.bucket}/${key} returned more bytes than the range asked for`);
        target.set(chunk, filled);
        filled += chunk.length;
      }
      return filled;
    });
  }

  private async get(key: string, range?: string): Promise<Buffer | null> {
    return this.getObject(key, range, async (body) => {
      const bytes = await body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    });
  }

  /** GetObject with its body consumed by `read`; null when the object (or the range) does not exist. */
  private async getObject<T>(key: string, range: string | undefined, read: (body: StreamingBody) => Promise<T>): Promise<T | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      return await read(out.Body!);
    } catch (e) {
      if (isNotFound(e) || (e as { name?: string }).name === 'InvalidRange') return null;
      throw storeError(range ? `GetObject (${range})` : 'GetObject', this.bucket, key, e);
    }
  }

  async *listKeys(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (e) {
        throw storeError('ListObjectsV2', this.bucket, prefix, e);
      }
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async deletePrefix(prefix: string): Promise<number> {
    if (!prefix) throw new ReplicaStoreError('refusing to delete an empty prefix (the whole bucket)');
    const keys: string[] = [];
    for await (const key of this.listKeys(prefix)) keys.push(key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        if (out.Errors?.length) throw new Error(`${out.Errors.length} objects not deleted, first ${out.Errors[0].Key}: ${out.Errors[0].Code}`);
      } catch (e) {
        throw storeError('DeleteObjects', this.bucket, prefix, e);
      }
    }
    return keys.length;
  }

  // ---- packs ----
  /**
   * Pack data first, then its index: an index never names bytes that are not there. The data may come as
   * chunks (views the reader did not copy); they are sent as one object without being joined.
   */
  async putPack(vpg: string, data: Uint8Array | readonly Uint8Array[], index: readonly PackIndexEntry[], packId?: string): Promise<{ packId: string; packKey: string }> {
    const chunks = data instanceof Uint8Array ? [data] : data;
    packId ??= sha256Hex(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    const key = packKey(vpg, packId);
    if (chunks.length === 1) await this.putBytes(key, chunks[0]);
    else await this.putChunks(key, chunks);
    await this.putBytes(packIndexKey(vpg, packId), Buffer.from(encodePackIndex(index)), 'application/json');
    const cached = this.locations.get(vpg);
    if (cached) for (const b of index) if (!cached.has(b.hash)) cached.set(b.hash, { packId, packKey: key, offset: b.offset, length: b.length });
    return { packId, packKey: key };
  }

  async listPackIndexes(vpg: string): Promise<Map<string, PackIndex>> {
    const ids: string[] = [];
    for await (const key of this.listKeys(packsPrefix(vpg))) {
      const id = packIdFromIndexKey(key);
      if (id) ids.push(id);
    }
    const out = new Map<string, PackIndex>();
    await forEachBounded(ids, this.readConcurrency, async (id) => {
      const key = packIndexKey(vpg, id);
      const bytes = await this.getBytes(key);
      if (bytes === null) return; // deleted between list and get (compaction)
      try {
        out.set(id, decodePackIndex(bytes.toString('utf8')));
      } catch (e) {
        throw new ReplicaStoreError(`pack index s3://${this.bucket}/${key}: ${(e as Error).message}`);
      }
    });
    return out;
  }

  /** Every stored block of the VPG: hash → canonical location. Refreshes the cache readBlock uses. */
  async knownHashes(vpg: string): Promise<Map<string, BlockLocation>> {
    const map = buildHashLocations(vpg, await this.listPackIndexes(vpg));
    this.locations.set(vpg, map);
    return new Map(map);
  }

  async locate(vpg: string, hash: string): Promise<BlockLocation> {
    let loc = this.locations.get(vpg)?.get(hash);
    if (!loc) loc = (await this.knownHashes(vpg)).get(hash);
    if (!loc) throw new MissingBlock(hash, null, `VPG ${vpg}, s3://${this.bucket}/${packsPrefix(vpg)}`);
    return loc;
  }

  /** One block, by ranged GET of its pack, SHA-256 verified. */
  async readBlock(vpg: string, hash: string): Promise<Buffer> {
    const loc = await this.locate(vpg, hash);
    const bytes = await this.getRange(loc.packKey, loc.offset, loc.length);
    if (bytes === null || bytes.length !== loc.length) throw new MissingBlock(hash, loc.packKey, `s3://${this.bucket}/${loc.packKey}`);
    const actual = sha256Hex(bytes);
    if (actual !== hash) throw new CorruptBlock(hash, loc.packKey, actual, `s3://${this.bucket}/${loc.packKey} bytes ${loc.offset}+${loc.length}`);
    return bytes;
  }

  // ---- checkpoints ----
  async listCheckpoints(vpg: string): Promise<CheckpointSummary[]> {
    const ids: string[] = [];
    for await (const key of this.listKeys(checkpointsPrefix(vpg))) {
      const id = checkpointIdFromKey(key);
      if (id) ids.push(id);
    }
    const out: CheckpointSummary[] = [];
    await forEachBounded(ids, this.readConcurrency, async (id) => {
      const summary = await this.getJson<CheckpointSummary>(checkpointSummaryKey(vpg, id));
      if (summary) return void out.push(summary);
      const manifest = await this.getCheckpoint(vpg, id);
      if (manifest) out.push(summarize(manifest));
    });
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async getCheckpoint(vpg: string, checkpointId: string): Promise<CheckpointManifest | null> {
    return this.getJson<CheckpointManifest>(checkpointKey(vpg, checkpointId));
  }

  /** Summary first, manifest last: a single PUT is atomic, so the checkpoint appears whole or not at all. */
  async commitCheckpoint(manifest: CheckpointManifest): Promise<void> {
    assertKeySegment('VPG name', manifest.vpg);
    if (manifest.format !== 1) throw new ReplicaStoreError(`unsupported manifest format ${String(manifest.format)}`);
    await this.putJson(checkpointSummaryKey(manifest.vpg, manifest.id), summarize(manifest));
    await this.putJson(checkpointKey(manifest.vpg, manifest.id), manifest);
  }

  /** The manifests from the nearest full checkpoint down to `checkpointId`, oldest first. */
  async getChain(vpg: string, checkpointId: string): Promise<CheckpointManifest[]> {
    const chain: CheckpointManifest[] = [];
    const seen = new Set<string>();
    let id: string | null = checkpointId;
    while (id !== null) {
      if (seen.has(id)) throw new ReplicaStoreError(`checkpoint chain of ${checkpointId} loops at ${id}`);
      seen.add(id);
      const manifest = await this.getCheckpoint(vpg, id);
      if (!manifest) {
        throw new ReplicaStoreError(
          id === checkpointId
            ? `checkpoint ${id} of VPG ${vpg} does not exist`
            : `checkpoint ${checkpointId} of VPG ${vpg} needs parent ${id}, which does not exist (broken chain)`,
        );
      }
      chain.push(manifest);
      id = manifest.full ? null : manifest.parentId;
    }
    return chain.reverse();
  }

  async resolveVolume(vpg: string, checkpointId: string, sourceVolumeId: string): Promise<Map<number, BlockRef>> {
    return resolveBlockMap(await this.getChain(vpg, checkpointId), sourceVolumeId);
  }
}

/**
 * Run `fn` over items with at most `limit` in flight. After the first error no new item starts, and the
 * call returns only once every started item has settled (so nothing runs on after the caller cleans up).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

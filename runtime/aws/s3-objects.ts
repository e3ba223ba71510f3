/**
 * The replica bucket's plain objects over S3: JSON and bytes, create-only writes (`If-None-Match: *`), ranged
 * reads, listings and prefix deletes, with S3's errors translated (s3-errors.ts). No format: S3ReplicaStore adds it.
 */
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { ListedObject } from '../core/store/problems';
import { putChunks } from './s3-chunked-put';
import { AlreadyExists, isConditionalConflict, isNotFound, isPreconditionFailed, ReplicaStoreError, storeError } from './s3-errors';

type StreamingBody = NonNullable<GetObjectCommandOutput['Body']>;

/** Retries of a create-only PUT that met a concurrent conditional write (409): S3 asks to try again. */
const CONFLICT_RETRIES = 4;

export class S3Objects {
  constructor(
    readonly bucket: string,
    protected readonly client: S3Client,
  ) {}

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

  /**
   * PUT with `If-None-Match: *`: true when this call created the object, false when one was already there
   * (412; that may be this very write, answered late and retried). Never overwrites.
   */
  async createBytes(key: string, body: Uint8Array | readonly Uint8Array[], contentType = 'application/octet-stream'): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (body instanceof Uint8Array) {
          await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }));
        } else {
          await putChunks(this.client, { Bucket: this.bucket, Key: key, ContentType: contentType, IfNoneMatch: '*' }, body);
        }
        return true;
      } catch (e) {
        if (isPreconditionFailed(e)) return false;
        if (isConditionalConflict(e) && attempt < CONFLICT_RETRIES) continue;
        throw storeError('PutObject', this.bucket, key, e);
      }
    }
  }

  /** Create-only JSON: an object already at the key is accepted only when it holds these very bytes (a retried write). */
  async createJson(key: string, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value));
    if (await this.createBytes(key, body, 'application/json')) return;
    // A role that may not read the key back (the zSAT's on results) gets the refusal, not an AccessDenied.
    const existing = await this.getBytes(key).catch(() => null);
    if (existing === null || !existing.equals(body)) {
      throw new AlreadyExists(key, `s3://${this.bucket}/${key} already exists with other content; it is written once and never overwritten`);
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
        if (filled + chunk.length > target.length)
          throw new ReplicaStoreError(`S3 GetObject (${range}) s3://${this.bucket}/${key} returned more bytes than the range asked for`);
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
    for await (const o of this.listObjects(prefix)) yield o.key;
  }

  /** Keys under `prefix` with their sizes and times (ListObjectsV2, every page). */
  async *listObjects(prefix: string): AsyncGenerator<ListedObject> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      } catch (e) {
        throw storeError('ListObjectsV2', this.bucket, prefix, e);
      }
      for (const o of page.Contents ?? []) {
        if (o.Key) yield { key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ? new Date(o.LastModified).toISOString() : null };
      }
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
        const out = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
        if (out.Errors?.length) throw new Error(`${out.Errors.length} objects not deleted, first ${out.Errors[0].Key}: ${out.Errors[0].Code}`);
      } catch (e) {
        throw storeError('DeleteObjects', this.bucket, prefix, e);
      }
    }
    return keys.length;
  }
}

/**
 * The lease and reader records of a VPG over S3 conditional requests. S3 evaluates `If-None-Match: *` and
 * `If-Match: <etag>` atomically and answers 412 Precondition Failed when the condition does not hold, or 409
 * ConditionalRequestConflict when a concurrent write won the race, and If-Match on a missing key answers 404
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): each means "someone else
 * changed it first", which the callers handle by reading again. Reads are strongly consistent.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LeaseStorePort } from '../core/lease/lease-guard';
import type { GcNotesPort, ReaderRecord, ReadersPort, ReleasedSource, ReleasesPort, WorkingFilesPort, WorkingSet } from '../core/store/readers';
import type { VpgLease } from '../core/lease/vpg-lease';
import { gcNoteKey, gcPrefix, idOfJsonKey, leaseKey, readerKey, readersPrefix, releasedKey, releasedPrefix } from '../core/store/coordination-keys';
import { makeS3Client } from './s3-client';
import { vpgPrefix } from '../core/store/format';
import { isNotFound, storeError } from './s3-errors';

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/** 412 (the condition failed) or 409 (a concurrent conditional write won). */
export function lostConditionalWrite(e: unknown): boolean {
  const err = e as SdkError;
  const status = err?.$metadata?.httpStatusCode;
  return status === 412 || status === 409 || err?.name === 'PreconditionFailed' || err?.name === 'ConditionalRequestConflict';
}

export class S3Coordination implements LeaseStorePort, ReadersPort, ReleasesPort, WorkingFilesPort, GcNotesPort {
  private readonly client: S3Client;

  constructor(
    readonly bucket: string,
    client?: S3Client,
  ) {
    this.client = client ?? makeS3Client();
  }

  async readLease(vpg: string): Promise<{ value: unknown; etag: string } | null> {
    const key = leaseKey(vpg);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await out.Body!.transformToString('utf8');
      if (!out.ETag) throw new Error('GetObject returned no ETag');
      return { value: JSON.parse(text) as unknown, etag: out.ETag };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw storeError('GetObject', this.bucket, key, e);
    }
  }

  createLease(vpg: string, lease: VpgLease): Promise<boolean> {
    return this.conditionalPut(leaseKey(vpg), lease, { IfNoneMatch: '*' });
  }

  replaceLease(vpg: string, lease: VpgLease, etag: string): Promise<boolean> {
    return this.conditionalPut(leaseKey(vpg), lease, { IfMatch: etag });
  }

  private async conditionalPut(key: string, value: unknown, condition: { IfNoneMatch?: string; IfMatch?: string }): Promise<boolean> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json', ...condition }),
      );
      return true;
    } catch (e) {
      // If-Match on a key that is gone answers 404 NoSuchKey: it changed since it was read, as a 412 says
      if (lostConditionalWrite(e) || (condition.IfMatch !== undefined && isNotFound(e))) return false;
      throw storeError('PutObject (conditional)', this.bucket, key, e);
    }
  }

  /** Every object under `prefix` (key and time), page by page. */
  private async *objects(prefix: string, maxKeys?: number): AsyncGenerator<{ key: string; lastModified: string }> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: maxKeys }));
      } catch (e) {
        throw storeError('ListObjectsV2', this.bucket, prefix, e);
      }
      for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, lastModified: (o.LastModified ?? new Date(0)).toISOString() };
      token = maxKeys === undefined && page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async putPlain(key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
    } catch (e) {
      throw storeError('PutObject', this.bucket, key, e);
    }
  }

  private async deleteKey(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (e) {
      if (!isNotFound(e)) throw storeError('DeleteObject', this.bucket, key, e);
    }
  }

  putReader(vpg: string, reader: ReaderRecord): Promise<void> {
    return this.putPlain(readerKey(vpg, reader.id), reader);
  }

  async listReaders(vpg: string): Promise<{ readers: ReaderRecord[]; unreadable: Array<{ key: string; lastModified: string }> }> {
    const prefix = readersPrefix(vpg);
    const readers: ReaderRecord[] = [];
    const unreadable: Array<{ key: string; lastModified: string }> = [];
    for await (const o of this.objects(prefix)) {
      // a name that is no reader id is a stray (a person's file), not a reader
      if (!idOfJsonKey(prefix, o.key)) continue;
      const record = await this.readReader(o.key);
      if (record === 'gone') continue;
      if (record) readers.push(record);
      else unreadable.push(o);
    }
    return { readers, unreadable };
  }

  deleteReader(vpg: string, readerId: string): Promise<void> {
    return this.deleteKey(readerKey(vpg, readerId));
  }

  /** A person's confirmation that a source left the VPG on purpose (the CLI's `release`). */
  putReleased(vpg: string, released: ReleasedSource): Promise<void> {
    return this.putPlain(releasedKey(vpg, released.sourceId), released);
  }

  /** Released sources, by the ids in their keys (a record's body is informational). */
  async releasedSources(vpg: string): Promise<ReleasedSource[]> {
    const prefix = releasedPrefix(vpg);
    const out: ReleasedSource[] = [];
    for await (const o of this.objects(prefix)) {
      const id = idOfJsonKey(prefix, o.key);
      if (id) out.push({ format: 1, sourceId: id, releasedAt: o.lastModified });
    }
    return out;
  }

  /** Every execution's working files (syncs/<id>/, imports/<id>/) with the newest change among them. */
  async workingSets(vpg: string): Promise<WorkingSet[]> {
    const sets = new Map<string, WorkingSet>();
    for (const kind of ['sync', 'import'] as const) {
      const prefix = `${vpgPrefix(vpg)}${kind === 'sync' ? 'syncs' : 'imports'}/`;
      for await (const o of this.objects(prefix)) {
        const id = o.key.slice(prefix.length).split('/')[0];
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) continue;
        const seen = sets.get(`${kind}/${id}`);
        if (!seen || seen.lastModified < o.lastModified) sets.set(`${kind}/${id}`, { kind, id, lastModified: o.lastModified });
      }
    }
    return [...sets.values()];
  }

  async workingJobExecutions(vpg: string, syncId: string): Promise<string[]> {
    const out: string[] = [];
    // a few of its jobs are enough: every job of a sync names the same execution
    for await (const o of this.objects(`${vpgPrefix(vpg)}syncs/${syncId}/jobs/`, 5)) {
      try {
        const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: o.key }));
        const job = JSON.parse(await got.Body!.transformToString('utf8')) as { executionId?: unknown };
        if (typeof job.executionId === 'string') out.push(job.executionId);
      } catch (e) {
        if (!isNotFound(e) && !(e instanceof SyntaxError)) throw storeError('GetObject', this.bucket, o.key, e);
      }
    }
    return out;
  }

  async putGcNote(vpg: string, syncId: string): Promise<void> {
    // create-only (the cleanup role may not overwrite): a note already there says the same thing
    await this.conditionalPut(gcNoteKey(vpg, syncId), { format: 1, syncId }, { IfNoneMatch: '*' });
  }

  async gcNotes(vpg: string): Promise<string[]> {
    const prefix = gcPrefix(vpg);
    const out: string[] = [];
    for await (const o of this.objects(prefix)) {
      const id = idOfJsonKey(prefix, o.key);
      if (id) out.push(id);
    }
    return out;
  }

  deleteGcNote(vpg: string, syncId: string): Promise<void> {
    return this.deleteKey(gcNoteKey(vpg, syncId));
  }

  /** A record; null when it does not parse as one; 'gone' when it was deleted since the listing. */
  private async readReader(key: string): Promise<ReaderRecord | null | 'gone'> {
    let text: string;
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      text = await out.Body!.transformToString('utf8');
    } catch (e) {
      if (isNotFound(e)) return 'gone';
      throw storeError('GetObject', this.bucket, key, e);
    }
    try {
      const r = JSON.parse(text) as Partial<ReaderRecord>;
      const ok =
        r?.format === 1 &&
        typeof r.id === 'string' &&
        (r.state === 'resolving' || r.state === 'reading') &&
        typeof r.expiresAt === 'string' &&
        !Number.isNaN(Date.parse(r.expiresAt));
      return ok ? (r as ReaderRecord) : null;
    } catch {
      return null;
    }
  }
}

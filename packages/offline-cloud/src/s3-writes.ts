/**
 * The offline S3's object writes: every PUT, DELETE and CompleteMultipartUpload of one key runs under that
 * key's lock, so a conditional write's check and its write are one step against every other write, as
 * S3's conditional requests are (the rules are in s3-conditions.ts). DeleteObjects is answered here, one
 * locked DELETE per object, because s3rver ignores its per-object <ETag> conditions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsChunkedDecoder, isAwsChunked } from './aws-chunked';
import { conditionalConflict, evaluateCondition, type S3Failure, type WriteCondition } from './s3-conditions';
import { deleteResultXml, parseDeleteObjects, S3CompatError, s3ErrorXml, type DeleteOutcome } from './s3-compat';

/** What the write front needs from s3rver. */
export interface Upstream {
  /** The object's current ETag (asked of s3rver itself); undefined when there is no object. */
  etagOf(bucket: string, key: string): Promise<string | undefined>;
  /** Streams the request to s3rver; `onStatus` runs once, with s3rver's status or undefined if it never answered. */
  forward(req: IncomingMessage, res: ServerResponse, onStatus: (status: number | undefined) => void): void;
  bucketExists(bucket: string): Promise<boolean>;
  /** Deletes one object on s3rver; resolves with the status it answered. */
  deleteObject(bucket: string, key: string): Promise<number>;
}

interface Turn {
  /** Another write to the key succeeded while this one waited: AWS's "conflicting operation". */
  readonly overtaken: boolean;
  /** Lets the next write in; `changed` = this write succeeded. Safe to call more than once. */
  release(changed: boolean): void;
}

interface KeyState {
  tail: Promise<void>;
  queued: number;
  /** Successful writes while the key had a queue; compared by waiters, so it can restart at 0 when idle. */
  generation: number;
}

/** Serializes the writes of each key, in arrival order. */
export class KeyedLock {
  private readonly keys = new Map<string, KeyState>();

  async acquire(key: string): Promise<Turn> {
    let state = this.keys.get(key);
    if (!state) {
      state = { tail: Promise.resolve(), queued: 0, generation: 0 };
      this.keys.set(key, state);
    }
    const s = state;
    const arrivedAt = s.generation;
    const previous = s.tail;
    let open!: () => void;
    const mine = new Promise<void>((resolve) => (open = resolve));
    s.tail = previous.then(() => mine);
    s.queued++;
    await previous;
    let released = false;
    return {
      overtaken: s.generation !== arrivedAt,
      release: (changed) => {
        if (released) return;
        released = true;
        if (changed) s.generation++;
        s.queued--;
        if (s.queued === 0) this.keys.delete(key);
        open();
      },
    };
  }

  /** Writes holding or waiting for the key (tests use it to know a write is queued). */
  queued(key: string): number {
    return this.keys.get(key)?.queued ?? 0;
  }
}

const ok = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

export function sendFailure(req: IncomingMessage, res: ServerResponse, f: S3Failure): void {
  req.resume(); // drain an unread body so the connection stays usable
  if (res.headersSent) return void res.destroy();
  const body = req.method === 'HEAD' ? '' : s3ErrorXml(f.code, f.message, { Condition: f.condition, Key: f.key });
  res.writeHead(f.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  const body = isAwsChunked(req.headers) ? req.pipe(new AwsChunkedDecoder()) : req;
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of the results. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function createWriteFront(upstream: Upstream) {
  const locks = new KeyedLock();
  const lockKey = (bucket: string, key: string) => `${bucket}/${key}`;

  /** The check of a conditional write, with the key's lock held: undefined when the write may go ahead. */
  const check = async (turn: Turn, condition: WriteCondition | undefined, bucket: string, key: string): Promise<S3Failure | undefined> => {
    if (!condition) return undefined; // an unconditional write is last-writer-wins, as in S3
    if (turn.overtaken) return conditionalConflict();
    return evaluateCondition(condition, key, await upstream.etagOf(bucket, key));
  };

  /** A PUT, DELETE or CompleteMultipartUpload of one object: checked, forwarded, released on s3rver's answer. */
  const write = async (req: IncomingMessage, res: ServerResponse, bucket: string, key: string, condition?: WriteCondition) => {
    const turn = await locks.acquire(lockKey(bucket, key));
    try {
      const failure = await check(turn, condition, bucket, key);
      if (failure) {
        turn.release(false);
        return sendFailure(req, res, failure);
      }
    } catch (err) {
      turn.release(false);
      throw err;
    }
    // s3rver answers a write once it is stored, so the next write of the key sees it
    upstream.forward(req, res, (status) => turn.release(ok(status)));
  };

  const deleteOne = async (bucket: string, o: { key: string; etag?: string }): Promise<DeleteOutcome> => {
    const turn = await locks.acquire(lockKey(bucket, o.key));
    let changed = false;
    try {
      const failure = await check(turn, o.etag === undefined ? undefined : { ifMatch: o.etag }, bucket, o.key);
      if (failure) return { key: o.key, deleted: false, code: failure.code, message: failure.message };
      const status = await upstream.deleteObject(bucket, o.key);
      changed = ok(status);
      return changed ? { key: o.key, deleted: true } : { key: o.key, deleted: false, code: 'InternalError', message: `offline S3: s3rver answered ${status}` };
    } finally {
      turn.release(changed);
    }
  };

  const deleteObjects = async (req: IncomingMessage, res: ServerResponse, bucket: string) => {
    let parsed;
    try {
      parsed = parseDeleteObjects(await readBody(req));
    } catch (err) {
      if (!(err instanceof S3CompatError)) throw err;
      return sendFailure(req, res, { status: err.status, code: err.code, message: err.message });
    }
    if (!(await upstream.bucketExists(bucket))) {
      return sendFailure(req, res, { status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist' });
    }
    const outcomes = await mapLimit(parsed.objects, 16, (o) => deleteOne(bucket, o));
    const body = deleteResultXml(outcomes, parsed.quiet);
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };

  return { write, deleteObjects, queued: (bucket: string, key: string) => locks.queued(lockKey(bucket, key)) };
}

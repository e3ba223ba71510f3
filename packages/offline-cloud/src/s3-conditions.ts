/**
 * Which S3 conditional requests the offline cloud evaluates, and AWS's answer when one does not hold. Pure:
 * the front (s3.ts, s3-writes.ts) asks s3rver for the object's current state and applies these rules.
 *
 * What AWS documents, and what the front does with it:
 * - PutObject/CopyObject `If-None-Match: *` (create only) and `If-Match: <etag>` (replace only that version):
 *   412 PreconditionFailed when the condition does not hold; `If-Match` on a key with no current object is
 *   404 NoSuchKey; "If a conflicting operation occurs during the upload S3 returns a 409
 *   ConditionalRequestConflict". https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 *   and https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html (moto's AWS-verified test of the same
 *   calls records NoSuchKey for the missing key, and that S3 accepts the ETag quoted or unquoted).
 * - DeleteObject `If-Match: <etag>` or `If-Match: *` (the object must exist): 204 when it holds, 412 on a
 *   mismatch, 404 NoSuchKey when there is no object, 409 when a concurrent PUT or DELETE succeeded first;
 *   DeleteObjects carries the ETag per object and answers per object in <Deleted> or <Error>.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
 * - GetObject/HeadObject `If-Match`: 412 when the ETag differs (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
 * Anything else that makes a write conditional (If-None-Match with an ETag, which PutObject documents only
 * as `*`; If-Modified-Since/If-Unmodified-Since on a write; x-amz-copy-source-if-*; the directory-bucket-only
 * x-amz-if-match-size/-last-modified-time/-initiated-time; conditions on multipart uploads) is refused with
 * 501 NotImplemented, never ignored: an ignored precondition would make this cloud more lenient than AWS.
 */

export interface S3Failure {
  status: number;
  code: string;
  message: string;
  /** The header that failed, for AWS's <Condition> element. */
  condition?: string;
  /** The key, for AWS's <Key> element. */
  key?: string;
}

/** What the front must check before forwarding a write; `undefined` condition = an unconditional write. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export type WritePlan =
  { kind: 'refuse'; failure: S3Failure } | { kind: 'put' | 'delete'; condition?: WriteCondition } | { kind: 'complete-multipart' } | { kind: 'delete-objects' };

/** The query keys the SDK adds to plain object operations (`?x-id=PutObject`); any other key is a subresource. */
const PLAIN_QUERY = new Set(['x-id']);

/** Every header that makes a request conditional; each one is either evaluated or refused. */
export const CONDITIONAL_HEADERS = [
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'x-amz-copy-source-if-match',
  'x-amz-copy-source-if-none-match',
  'x-amz-copy-source-if-modified-since',
  'x-amz-copy-source-if-unmodified-since',
  'x-amz-if-match-last-modified-time',
  'x-amz-if-match-size',
  'x-amz-if-match-initiated-time',
];

type Headers = Record<string, string | string[] | undefined>;

const header = (h: Headers, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** An ETag as S3 compares it: quotes and surrounding white space do not matter. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/"/g, '');
}

export function notImplemented(what: string): S3Failure {
  return {
    status: 501,
    code: 'NotImplemented',
    message: `A header you provided implies functionality that is not implemented (offline cloud: ${what})`,
  };
}

function conditionalHeadersIn(h: Headers): string[] {
  return CONDITIONAL_HEADERS.filter((name) => header(h, name) !== undefined);
}

/**
 * The plan for a write (PUT, POST, DELETE) to a path-style URL, or undefined when the front just forwards it
 * (bucket-level writes and object subresources that carry no condition). `pathname` is already split into
 * bucket and key by the caller: `key` is undefined for a bucket-level request.
 */
export function planWrite(method: string, key: string | undefined, query: URLSearchParams, h: Headers): WritePlan | undefined {
  const conditions = conditionalHeadersIn(h);
  const subresources = [...query.keys()].filter((k) => !PLAIN_QUERY.has(k));
  const refuse = (what: string): WritePlan => ({ kind: 'refuse', failure: notImplemented(what) });
  if (key === undefined) {
    if (method === 'POST' && query.has('delete')) return conditions.length ? refuse(`${conditions.join(', ')} on DeleteObjects`) : { kind: 'delete-objects' };
    return conditions.length ? refuse(`${conditions.join(', ')} on a bucket request`) : undefined;
  }
  if (method === 'POST' && query.has('uploadId')) {
    return conditions.length ? refuse(`${conditions.join(', ')} on CompleteMultipartUpload`) : { kind: 'complete-multipart' };
  }
  if ((method === 'PUT' || method === 'DELETE') && subresources.length === 0) {
    const kind = method === 'PUT' ? 'put' : 'delete';
    const ifMatch = header(h, 'if-match');
    const ifNoneMatch = header(h, 'if-none-match');
    const others = conditions.filter((c) => c !== 'if-match' && c !== 'if-none-match');
    if (others.length) return refuse(`${others.join(', ')} on ${method === 'PUT' ? 'PutObject/CopyObject' : 'DeleteObject'}`);
    if (ifMatch !== undefined && ifNoneMatch !== undefined) return refuse('If-Match together with If-None-Match');
    if (kind === 'put') {
      if (ifNoneMatch !== undefined)
        return ifNoneMatch.trim() === '*' ? { kind, condition: { ifNoneMatch: '*' } } : refuse('If-None-Match other than * on PutObject');
      if (ifMatch !== undefined) return ifMatch.trim() === '*' ? refuse('If-Match: * on PutObject') : { kind, condition: { ifMatch } };
      return { kind };
    }
    if (ifNoneMatch !== undefined) return refuse('If-None-Match on DeleteObject');
    return ifMatch !== undefined ? { kind, condition: { ifMatch } } : { kind };
  }
  if (method === 'PUT' || method === 'POST' || method === 'DELETE') {
    return conditions.length ? refuse(`${conditions.join(', ')} on ${method} ?${subresources.join('&')}`) : undefined;
  }
  return undefined;
}

/** Whether a write's condition holds for the object as it is now (`etag` undefined = no object). */
export function evaluateCondition(condition: WriteCondition, key: string, etag: string | undefined): S3Failure | undefined {
  if ('ifNoneMatch' in condition) {
    return etag === undefined ? undefined : preconditionFailed('If-None-Match');
  }
  if (etag === undefined) return noSuchKey(key);
  if (condition.ifMatch.trim() === '*') return undefined;
  return normalizeEtag(condition.ifMatch) === normalizeEtag(etag) ? undefined : preconditionFailed('If-Match');
}

export function preconditionFailed(condition: string): S3Failure {
  return { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold', condition };
}

export function noSuchKey(key: string): S3Failure {
  return { status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.', key };
}

/** A conditional write that waited behind a write which then succeeded (AWS's "conflicting operation"). */
export function conditionalConflict(): S3Failure {
  return {
    status: 409,
    code: 'ConditionalRequestConflict',
    message: 'The conditional request cannot succeed due to a conflicting operation against this resource.',
  };
}

/**
 * For a GET or HEAD: undefined when s3rver can answer it alone (it evaluates If-None-Match and
 * If-Modified-Since), the If-Match value the front must check against the answer's ETag, or a refusal.
 */
export function planRead(h: Headers): { ifMatch?: string; refuse?: S3Failure } | undefined {
  const conditions = conditionalHeadersIn(h);
  if (!conditions.length) return undefined;
  if (conditions.includes('if-unmodified-since')) return { refuse: notImplemented('If-Unmodified-Since on GetObject/HeadObject') };
  const ifMatch = header(h, 'if-match');
  if (ifMatch === undefined) return undefined;
  if (conditions.length > 1) return { refuse: notImplemented(`If-Match together with ${conditions.filter((c) => c !== 'if-match').join(', ')}`) };
  return { ifMatch };
}

/**
 * Pure request/response rewrites that keep s3rver 3.7 correct for today's SDK:
 * - ListObjectsV2: s3rver encrypts its continuation tokens with DES, which OpenSSL 3 (Node >= 17)
 *   refuses, so every truncated V2 listing fails with InternalError. The front asks s3rver for the
 *   equivalent V1 listing (marker = where the token says to resume) and rewrites the answer into V2,
 *   with an opaque token of its own (base64 of the last key returned).
 * - Bucket subresources s3rver does not route (e.g. `?versioning`) would fall through to the plain bucket
 *   operation (PUT ?versioning = CreateBucket); they are answered here instead (a bucket's configuration by its
 *   gate: s3-bucket-config.ts).
 * - DeleteObjects: s3rver ignores each object's <ETag> condition, so the front answers it (s3-writes.ts)
 *   with one DELETE per object; its request and result XML are read and written here.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 */

export const LIST_V2_TOKEN_PREFIX = 'lb1:';

/** Path-style bucket-level path (`/bucket` or `/bucket/`) → bucket name. */
export function bucketOfPath(pathname: string): string | undefined {
  const m = /^\/([^/]+)\/?$/.exec(pathname);
  return m ? decodeURIComponent(m[1]) : undefined;
}

export function encodeContinuationToken(lastKey: string): string {
  return Buffer.from(LIST_V2_TOKEN_PREFIX + lastKey, 'utf8').toString('base64');
}

/** The key to resume after, or undefined when the token is not one of ours. */
export function decodeContinuationToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  return text.startsWith(LIST_V2_TOKEN_PREFIX) ? text.slice(LIST_V2_TOKEN_PREFIX.length) : undefined;
}

export class S3CompatError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** For a ListObjectsV2 query, the V1 query s3rver can answer; undefined for anything else. */
export function listV2ToV1Query(query: URLSearchParams): URLSearchParams | undefined {
  if (query.get('list-type') !== '2') return undefined;
  const v1 = new URLSearchParams();
  for (const name of ['prefix', 'delimiter', 'max-keys', 'encoding-type']) {
    const value = query.get(name);
    if (value !== null) v1.set(name, value);
  }
  const token = query.get('continuation-token');
  if (token) {
    const resumeAfter = decodeContinuationToken(token);
    if (resumeAfter === undefined) throw new S3CompatError(400, 'InvalidArgument', 'The continuation token provided is incorrect');
    v1.set('marker', resumeAfter);
  } else if (query.get('start-after')) {
    v1.set('marker', query.get('start-after')!);
  }
  return v1;
}

export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[lower as 'amp'];
  });
}

/** Rewrites s3rver's V1 ListBucketResult into the V2 shape the SDK's ListObjectsV2 expects. */
export function listV1ToV2Xml(v1Xml: string, v2Query: URLSearchParams): string {
  const truncated = /<IsTruncated>true<\/IsTruncated>/.test(v1Xml);
  const keys = [...v1Xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1]));
  const prefixesCount = (v1Xml.match(/<CommonPrefixes>/g) ?? []).length;
  const token = v2Query.get('continuation-token');
  const startAfter = v2Query.get('start-after');
  const v2Fields = [
    `<KeyCount>${keys.length + prefixesCount}</KeyCount>`,
    token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '',
    truncated && keys.length ? `<NextContinuationToken>${encodeContinuationToken(keys[keys.length - 1])}</NextContinuationToken>` : '',
    !token && startAfter ? `<StartAfter>${xmlEscape(startAfter)}</StartAfter>` : '',
  ].join('');
  let xml = v1Xml.replace(/<Marker>[^<]*<\/Marker>|<Marker\/>|<NextMarker>[^<]*<\/NextMarker>/g, '');
  if (v2Query.get('fetch-owner') !== 'true') xml = xml.replace(/<Owner>.*?<\/Owner>/gs, '');
  return xml.replace('<MaxKeys>', `${v2Fields}<MaxKeys>`);
}

/** Bucket subresources s3rver 3.7 does not route; answered by the front instead. */
const UNROUTED_BUCKET_SUBRESOURCES = [
  'versioning',
  'encryption',
  'object-lock',
  'publicAccessBlock',
  'accelerate',
  'logging',
  'ownershipControls',
  'intelligent-tiering',
];

/** Kept on the bucket record and answered by its gate (s3-bucket-config.ts); one reaching s3rver's front names no bucket. */
const GATED_CONFIG = new Set(['versioning', 'encryption', 'object-lock', 'publicAccessBlock']);

/** The answer for a bucket-level request naming a subresource s3rver would misroute, or undefined. */
export function unroutedBucketAnswer(method: string, pathname: string, query: URLSearchParams): { status: number; code?: string; xml: string } | undefined {
  const bucket = bucketOfPath(pathname);
  if (!bucket) return undefined;
  const sub = UNROUTED_BUCKET_SUBRESOURCES.find((s) => query.has(s));
  if (!sub) return undefined;
  if (GATED_CONFIG.has(sub) && ['GET', 'PUT', 'DELETE'].includes(method)) {
    return { status: 404, code: 'NoSuchBucket', xml: s3ErrorXml('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket }) };
  }
  return {
    status: 501,
    code: 'NotImplemented',
    xml: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NotImplemented</Code><Message>The offline cloud's S3 (s3rver) does not implement the bucket ${xmlEscape(sub)} subresource</Message><RequestId>offline</RequestId></Error>`,
  };
}

/** AWS's error body; `extra` adds elements such as <Key> or <Condition>. */
export function s3ErrorXml(code: string, message: string, extra: Record<string, string | undefined> = {}): string {
  const fields = Object.entries(extra)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${xmlEscape(v!)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}<RequestId>offline</RequestId></Error>`;
}

export interface DeleteObjectsRequest {
  objects: Array<{ key: string; etag?: string }>;
  quiet: boolean;
}

/** DeleteObjects allows at most 1,000 keys per request (API_DeleteObjects.html). */
export const DELETE_OBJECTS_MAX = 1000;

/**
 * Parses a DeleteObjects body. Throws S3CompatError: 400 MalformedXML for what AWS rejects as such, 501
 * NotImplemented for what s3rver cannot honour (VersionId: it keeps no versions; LastModifiedTime and Size:
 * directory-bucket conditions), so no condition is ever dropped.
 */
export function parseDeleteObjects(xml: string): DeleteObjectsRequest {
  const malformed = () => new S3CompatError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
  const root = /<Delete(?:\s[^>]*)?>([\s\S]*)<\/Delete>/.exec(xml);
  if (!root) throw malformed();
  const objects: DeleteObjectsRequest['objects'] = [];
  for (const m of root[1].matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const field = (name: string) => {
      const f = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(m[1]);
      return f ? xmlUnescape(f[1]) : undefined;
    };
    const key = field('Key');
    if (!key) throw malformed();
    for (const unsupported of ['VersionId', 'LastModifiedTime', 'Size']) {
      if (field(unsupported) !== undefined) {
        throw new S3CompatError(501, 'NotImplemented', `The offline cloud's S3 (s3rver) cannot honour <${unsupported}> in DeleteObjects`);
      }
    }
    const etag = field('ETag');
    objects.push(etag === undefined ? { key } : { key, etag });
  }
  if (objects.length === 0 || objects.length > DELETE_OBJECTS_MAX) throw malformed();
  return { objects, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(root[1]) };
}

export type DeleteOutcome = { key: string; deleted: true } | { key: string; deleted: false; code: string; message: string };

/** The DeleteObjects answer: <Deleted> per success (left out when quiet), <Error> per failure. */
export function deleteResultXml(outcomes: readonly DeleteOutcome[], quiet: boolean): string {
  const items = outcomes
    .map((o) =>
      o.deleted
        ? quiet
          ? ''
          : `<Deleted><Key>${xmlEscape(o.key)}</Key></Deleted>`
        : `<Error><Key>${xmlEscape(o.key)}</Key><Code>${o.code}</Code><Message>${xmlEscape(o.message)}</Message></Error>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</DeleteResult>`;
}

/** The pure pieces of the S3 front: aws-chunked decoding and the ListObjectsV2 ↔ V1 rewrite. */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { AwsChunkedDecoder, isAwsChunked, remainingContentEncoding } from '../src/aws-chunked';
import {
  decodeContinuationToken,
  deleteResultXml,
  encodeContinuationToken,
  listV1ToV2Xml,
  listV2ToV1Query,
  parseDeleteObjects,
  unroutedBucketAnswer,
  xmlUnescape,
} from '../src/s3-compat';

function frame(chunks: Buffer[], signed: boolean): Buffer {
  const ext = signed ? ';chunk-signature=' + 'a'.repeat(64) : '';
  const parts = chunks.map((c) => Buffer.concat([Buffer.from(`${c.length.toString(16)}${ext}\r\n`), c, Buffer.from('\r\n')]));
  return Buffer.concat([...parts, Buffer.from(`0${ext}\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`)]);
}

async function decode(wire: Buffer, pieceSize: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < wire.length; i += pieceSize) pieces.push(wire.subarray(i, i + pieceSize));
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(new AwsChunkedDecoder())) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('aws-chunked', () => {
  const payload = [randomBytes(65536), randomBytes(17), randomBytes(1000)];
  test.each([1, 7, 4096, 1 << 20])('decodes the payload whatever the network split (pieces of %i bytes)', async (size) => {
    expect((await decode(frame(payload, false), size)).equals(Buffer.concat(payload))).toBe(true);
    expect((await decode(frame(payload, true), size)).equals(Buffer.concat(payload))).toBe(true);
  });

  test('a body cut before its final chunk is an error', async () => {
    const wire = frame(payload, false);
    await expect(decode(wire.subarray(0, 66000), 4096)).rejects.toThrow('ended before its final chunk');
  });

  test('recognises the encoding and keeps other content encodings', () => {
    expect(isAwsChunked({ 'content-encoding': 'aws-chunked' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' })).toBe(true);
    expect(isAwsChunked({ 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' })).toBe(false);
    expect(remainingContentEncoding('aws-chunked,gzip')).toBe('gzip');
    expect(remainingContentEncoding('aws-chunked')).toBeUndefined();
  });
});

describe('ListObjectsV2 rewrite', () => {
  test('V2 query → V1 query: continuation token and start-after become the marker', () => {
    const token = encodeContinuationToken('a/b&c');
    expect(decodeContinuationToken(token)).toBe('a/b&c');
    const v1 = listV2ToV1Query(new URLSearchParams({ 'list-type': '2', prefix: 'a/', 'max-keys': '2', 'continuation-token': token }));
    expect(Object.fromEntries(v1!)).toEqual({ prefix: 'a/', 'max-keys': '2', marker: 'a/b&c' });
    const fromStart = listV2ToV1Query(new URLSearchParams({ 'list-type': '2', 'start-after': 'k' }));
    expect(Object.fromEntries(fromStart!)).toEqual({ marker: 'k' });
    expect(listV2ToV1Query(new URLSearchParams({ prefix: 'a' }))).toBeUndefined();
    expect(() => listV2ToV1Query(new URLSearchParams({ 'list-type': '2', 'continuation-token': 'bm9wZQ==' }))).toThrow(
      'continuation token provided is incorrect',
    );
  });

  const v1 = (truncated: boolean) =>
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://doc.s3.amazonaws.com/2006-03-01/">' +
    '<Name>b</Name><Prefix></Prefix><Marker></Marker><MaxKeys>2</MaxKeys>' +
    `<IsTruncated>${truncated}</IsTruncated>` +
    '<Contents><Key>x&amp;1</Key><Size>1</Size><Owner><ID>1</ID><DisplayName>S3rver</DisplayName></Owner></Contents>' +
    '<Contents><Key>x&lt;2</Key><Size>1</Size><Owner><ID>1</ID><DisplayName>S3rver</DisplayName></Owner></Contents>' +
    '<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>';

  test('V1 answer → V2: KeyCount, a token resuming after the last key, no marker or owner', () => {
    const xml = listV1ToV2Xml(v1(true), new URLSearchParams({ 'list-type': '2' }));
    expect(xml).toContain('<KeyCount>3</KeyCount>');
    const token = /<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)![1];
    expect(decodeContinuationToken(token)).toBe('x<2');
    expect(xml).not.toMatch(/<Marker>|<Owner>/);
    const last = listV1ToV2Xml(v1(false), new URLSearchParams({ 'list-type': '2', 'fetch-owner': 'true', 'continuation-token': token }));
    expect(last).not.toContain('NextContinuationToken');
    expect(last).toContain(`<ContinuationToken>${token}</ContinuationToken>`);
    expect(last).toContain('<Owner>');
  });

  test('xmlUnescape handles named and numeric entities', () => {
    expect(xmlUnescape('a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;')).toBe('a&b<>"\'AB');
  });
});

test('unrouted bucket subresources are answered, object and plain bucket requests are not', () => {
  // a configuration the bucket's gate keeps reaches s3rver's front only for a bucket that does not exist
  expect(unroutedBucketAnswer('PUT', '/b/', new URLSearchParams('versioning'))).toMatchObject({ status: 404, code: 'NoSuchBucket' });
  expect(unroutedBucketAnswer('GET', '/b', new URLSearchParams('encryption'))).toMatchObject({ status: 404, code: 'NoSuchBucket' });
  expect(unroutedBucketAnswer('POST', '/b', new URLSearchParams('versioning'))).toMatchObject({ status: 501, code: 'NotImplemented' });
  expect(unroutedBucketAnswer('PUT', '/b/', new URLSearchParams())).toBeUndefined();
  expect(unroutedBucketAnswer('GET', '/b/key', new URLSearchParams('versioning'))).toBeUndefined();
});

describe('DeleteObjects XML', () => {
  const body = (objects: string, quiet = '') => `<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${objects}${quiet}</Delete>`;

  test('reads keys, per-object ETags and Quiet; answers Deleted and Error elements', () => {
    const parsed = parseDeleteObjects(
      body('<Object><Key>a&amp;b</Key><ETag>&quot;e1&quot;</ETag></Object><Object><Key>c</Key></Object>', '<Quiet>true</Quiet>'),
    );
    expect(parsed).toEqual({ objects: [{ key: 'a&b', etag: '"e1"' }, { key: 'c' }], quiet: true });
    const outcomes = [
      { key: 'a&b', deleted: true as const },
      { key: 'c', deleted: false as const, code: 'PreconditionFailed', message: 'no' },
    ];
    expect(deleteResultXml(outcomes, false)).toContain('<Deleted><Key>a&amp;b</Key></Deleted><Error><Key>c</Key><Code>PreconditionFailed</Code>');
    expect(deleteResultXml(outcomes, true)).not.toContain('<Deleted>');
  });

  test('malformed bodies are 400 MalformedXML; what s3rver cannot honour is 501, not ignored', () => {
    expect(() => parseDeleteObjects('<nope/>')).toThrow(expect.objectContaining({ status: 400, code: 'MalformedXML' }));
    expect(() => parseDeleteObjects(body(''))).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    expect(() => parseDeleteObjects(body('<Object><Key>k</Key></Object>'.repeat(1001)))).toThrow(expect.objectContaining({ code: 'MalformedXML' }));
    for (const field of ['<VersionId>v</VersionId>', '<Size>3</Size>', '<LastModifiedTime>2020-01-01T00:00:00Z</LastModifiedTime>']) {
      expect(() => parseDeleteObjects(body(`<Object><Key>k</Key>${field}</Object>`))).toThrow(expect.objectContaining({ status: 501, code: 'NotImplemented' }));
    }
  });
});

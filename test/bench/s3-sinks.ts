/**
 * S3 without the network, for the pipeline figures: a real S3Client (serializers, SigV4 signing, checksum
 * middleware, retries, parsers) whose request handler answers in-process. Every PUT body is consumed
 * byte by byte; what it skips is only the socket and the server. `keep: true` keeps the bodies (so an
 * import can read them back by ranged GETs); `keep: false` drains and discards them (a null sink).
 */
import { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { makeAgentS3Client } from '../../runtime/aws/agent-s3-client';

interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface SinkStats {
  puts: number;
  gets: number;
  lists: number;
  bytesIn: number;
  bytesOut: number;
}

/** Counts a body's bytes without keeping them (the null sink: what a server does is not the agent's cost). */
async function drain(body: unknown): Promise<number> {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  let n = 0;
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) n += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
  return n;
}

async function collect(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class InProcessS3 {
  readonly stats: SinkStats = { puts: 0, gets: 0, lists: 0, bytesIn: 0, bytesOut: 0 };
  /** key → bytes (keep) or key → length only (drain). */
  private readonly objects = new Map<string, Buffer | number>();

  constructor(readonly keep: boolean) {}

  /** Bytes this sink holds in memory (counted apart from the agent's own memory). */
  heldBytes(): number {
    let n = 0;
    for (const v of this.objects.values()) if (typeof v !== 'number') n += v.length;
    return n;
  }

  /** The agent's own S3 client (same middleware, same work per request), answered by this sink. */
  client(): S3Client {
    return makeAgentS3Client(this.config());
  }

  config(): S3ClientConfig {
    return {
      region: 'us-east-1',
      // https, as S3 is: the SDK then signs UNSIGNED-PAYLOAD as it does against S3 (TLS itself is skipped)
      endpoint: 'https://sink.invalid',
      forcePathStyle: true,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
      requestHandler: { handle: (req: SdkRequest) => this.handle(req) } as never,
    };
  }

  private async handle(req: SdkRequest): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Readable } }> {
    const [, bucket, ...rest] = req.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const reply = (statusCode: number, body: Buffer | string, headers: Record<string, string> = {}) => {
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      return { response: { statusCode, headers: { 'content-length': String(bytes.length), ...headers }, body: Readable.from(bytes.length ? [bytes] : []) } };
    };
    if (req.method === 'PUT') {
      const stored = this.keep ? Buffer.from(await collect(req.body)) : await drain(req.body);
      this.stats.puts++;
      this.stats.bytesIn += typeof stored === 'number' ? stored : stored.length;
      this.objects.set(`${bucket}/${key}`, stored);
      return reply(200, '', { etag: '"bench"' });
    }
    if (req.method === 'GET' && !key && req.query && 'list-type' in req.query) {
      this.stats.lists++;
      const prefix = String(req.query.prefix ?? '');
      const contents = [...this.objects.entries()]
        .filter(([k]) => k.startsWith(`${bucket}/${prefix}`))
        .map(([k, v]) => `<Contents><Key>${xmlEscape(k.slice(bucket.length + 1))}</Key><Size>${typeof v === 'number' ? v : v.length}</Size></Contents>`);
      const xml = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents.join('')}</ListBucketResult>`;
      return reply(200, xml, { 'content-type': 'application/xml' });
    }
    if (req.method === 'GET') {
      const value = this.objects.get(`${bucket}/${key}`);
      if (value === undefined || typeof value === 'number') {
        return reply(404, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>not kept</Message></Error>`, {
          'content-type': 'application/xml',
        });
      }
      this.stats.gets++;
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? req.headers.Range ?? '');
      if (!range) {
        this.stats.bytesOut += value.length;
        return reply(200, value);
      }
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), value.length - 1);
      const slice = value.subarray(start, end + 1);
      this.stats.bytesOut += slice.length;
      return reply(206, slice, { 'content-range': `bytes ${start}-${end}/${value.length}` });
    }
    return reply(501, `<Error><Code>NotImplemented</Code><Message>${req.method}</Message></Error>`);
  }
}

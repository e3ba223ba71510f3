/**
 * S3 for the offline cloud: the maintained `s3rver` emulator (a Koa app) on an internal 127.0.0.1
 * port in a worker thread (s3rver-thread.js), fronted by a raw edge handler that streams each request
 * through. The front adds only what today's SDK needs and s3rver lacks:
 * - any access key is accepted (done in the thread: s3rver only knows its own dummy key);
 * - `aws-chunked` bodies (SDK streaming uploads with trailing checksums) are decoded;
 * - conditional PUT with `If-None-Match: *` (create-only writes) answers 412 PreconditionFailed;
 * - ListObjectsV2 pagination and unrouted bucket subresources (see s3-compat.ts).
 * Path-style only: vhost buckets are off, so a 127.0.0.1:PORT or any other Host never misroutes.
 */
import fs from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RawHandler } from './edge';
import { AwsChunkedDecoder, isAwsChunked, remainingContentEncoding } from './aws-chunked';
import { bucketOfPath, listV1ToV2Xml, listV2ToV1Query, S3CompatError, unroutedBucketAnswer } from './s3-compat';

export interface S3Emulator {
  /** Mount as the edge's raw 's3' handler. */
  readonly handler: RawHandler;
  /** Where buckets and objects live on disk. */
  readonly directory: string;
  close(): Promise<void>;
}

/** Bucket and key of a path-style object URL, URL-decoded; undefined for bucket/service URLs. */
export function objectOf(url: string): { bucket: string; key: string } | undefined {
  const path = new URL(url, 'http://x').pathname;
  const m = /^\/([^/]+)\/(.+)$/.exec(path);
  return m ? { bucket: decodeURIComponent(m[1]), key: decodeURIComponent(m[2]) } : undefined;
}

interface ForwardOptions {
  path?: string;
  rewrite?: (xml: string) => string;
}

/** Request headers for s3rver: an aws-chunked body arrives decoded, so its framing headers go. */
function upstreamHeaders(req: IncomingMessage): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  if (!isAwsChunked(req.headers)) return headers;
  const encoding = remainingContentEncoding(req.headers['content-encoding']);
  if (encoding) headers['content-encoding'] = encoding;
  else delete headers['content-encoding'];
  delete headers['transfer-encoding'];
  delete headers['content-length'];
  const decoded = req.headers['x-amz-decoded-content-length'];
  if (decoded) headers['content-length'] = String(decoded);
  return headers;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<RequestId>offline</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Serializes work per key, so a create-only check and its write happen as one step. */
class KeyedLock {
  private tails = new Map<string, Promise<void>>();
  async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

/** Starts s3rver on its worker thread; resolves with its internal port once it listens. */
function startS3rverThread(directory: string): Promise<{ port: number; close(): Promise<void> }> {
  const worker = new Worker(path.join(__dirname, 's3rver-thread.js'), { workerData: { directory } });
  const close = async () => {
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m) => m === 'closed' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage('close');
    await closed;
    await worker.terminate();
  };
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) => reject(new Error(`offline S3 (s3rver thread) failed to start: ${String(err)}`));
    worker.once('error', failed);
    worker.once('exit', (code) => failed(`exited with code ${code}`));
    worker.once('message', (m: { port: number }) => {
      worker.off('error', failed);
      resolve({ port: m.port, close });
    });
  });
}

/** Answers whether an object exists, asking s3rver itself (an unsigned HEAD on the internal port). */
function objectExists(port: number, agent: http.Agent, pathname: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'HEAD', path: pathname, agent }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve(true);
      else if (res.statusCode === 404) resolve(false);
      else reject(new Error(`HEAD ${pathname} answered ${res.statusCode}`));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startS3(directory: string): Promise<S3Emulator> {
  fs.mkdirSync(directory, { recursive: true }); // s3rver's ListBuckets fails on a missing root
  const thread = await startS3rverThread(directory);
  const innerPort = thread.port;
  const agent = new http.Agent({ keepAlive: true });
  const locks = new KeyedLock();

  /** Streams the request to s3rver; `path` overrides the URL, `rewrite` edits a 200 XML answer. */
  const forward = (req: IncomingMessage, res: ServerResponse, done: () => void, opts: ForwardOptions = {}): void => {
    const upstream = http.request(
      { host: '127.0.0.1', port: innerPort, method: req.method, path: opts.path ?? req.url, headers: upstreamHeaders(req), agent },
      (answer) => {
        answer.on('end', done);
        answer.on('error', done);
        if (!opts.rewrite || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          const body = opts.rewrite!(Buffer.concat(chunks).toString('utf8'));
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
          delete headers['transfer-encoding'];
          res.writeHead(200, headers);
          res.end(body);
        });
      },
    );
    upstream.on('error', (err) => {
      done();
      if (!res.headersSent) s3Error(res, 500, 'InternalError', `offline S3: ${err.message}`);
      else res.destroy(err);
    });
    // a client that goes away mid-request must not leave s3rver waiting on a half-sent body
    req.on('close', () => {
      if (!req.complete) upstream.destroy();
    });
    const body = isAwsChunked(req.headers) ? req.pipe(new AwsChunkedDecoder()) : req;
    body.on('error', (err) => upstream.destroy(err));
    body.pipe(upstream);
  };

  /** Create-only PUT: the existence check and the write happen under one per-key lock. */
  const createOnlyPut = async (req: IncomingMessage, res: ServerResponse, target: { bucket: string; key: string }) => {
    const release = await locks.acquire(`${target.bucket}/${target.key}`);
    let released = false;
    const done = () => {
      if (!released) (released = true), release();
    };
    res.on('close', done);
    if (await objectExists(innerPort, agent, new URL(req.url ?? '/', 'http://x').pathname)) {
      req.resume(); // drain the unused body so the connection stays usable
      s3Error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
      return done();
    }
    forward(req, res, done, {});
  };

  const handler: RawHandler = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const unrouted = unroutedBucketAnswer(method, url.pathname, url.searchParams);
    if (unrouted) {
      req.resume();
      res.writeHead(unrouted.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(unrouted.xml)) });
      return res.end(unrouted.xml);
    }
    if (method === 'GET' && bucketOfPath(url.pathname)) {
      let v1: URLSearchParams | undefined;
      try {
        v1 = listV2ToV1Query(url.searchParams);
      } catch (err) {
        const e = err as S3CompatError;
        return s3Error(res, e.status, e.code, e.message);
      }
      if (v1) {
        const path = `${url.pathname}?${v1.toString()}`;
        return forward(req, res, () => undefined, { path, rewrite: (xml) => listV1ToV2Xml(xml, url.searchParams) });
      }
    }
    const target = objectOf(req.url ?? '/');
    if (method === 'PUT' && req.headers['if-none-match'] === '*' && target) {
      return void createOnlyPut(req, res, target).catch((err: unknown) => {
        if (!res.headersSent) s3Error(res, 500, 'InternalError', `offline S3: ${String(err)}`);
      });
    }
    forward(req, res, () => undefined);
  };

  return {
    handler,
    directory,
    close: async () => {
      agent.destroy();
      await thread.close();
    },
  };
}

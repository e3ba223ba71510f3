/**
 * The single edge port: buffers each request, finds the AWS service named in its SigV4 credential
 * scope, and hands it to that service (the way LocalStack's edge port routes). Services that must see
 * the raw stream (S3) register a raw handler instead; the offline cloud's own routes (/_lifeboat/...,
 * the IMDS emulation) are matched by path before any service.
 */
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { CloudRequest, CloudResponse, Service } from './service';
import { AwsError } from './service';
import { OFFLINE_ACCOUNT_ID } from './context';

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;
/** Inspects the request before dispatch; returns a response to short-circuit it (fault injection). */
export type Interceptor = (req: CloudRequest, service: Service) => Promise<CloudResponse | undefined>;
export type PathRoute = { prefix: string; handle: (req: CloudRequest) => Promise<CloudResponse> };
/** Evaluates a signed request's permissions before any service sees it (src/iam/authorizer.ts). */
export interface Authorizer {
  /** false: nothing to evaluate (an account's administrator in its own account). */
  evaluates(req: IncomingMessage, service: string, account: string): boolean;
  /** A streamed (raw) request whose body the evaluation reads (S3 DeleteObjects names its keys there). */
  needsBody(service: string, req: IncomingMessage): boolean;
  /** The service's own denial, or undefined to let the request through. */
  authorize(req: CloudRequest): Promise<CloudResponse | undefined>;
  /** After an allowed raw request: may adjust how its answer reaches the caller (S3's 404 → 403 rule). */
  guard?(req: CloudRequest, res: ServerResponse): Promise<void>;
}

/**
 * A streamed service's own checks around authorization (S3's bucket regions and owners: src/s3-buckets.ts):
 * a refusal comes before authorization (as S3 checks a request's region before its permissions); an answer
 * replaces the service's after it; onAnswered sees the service's status.
 */
export interface RawGate {
  needsBody(req: IncomingMessage): boolean;
  /** `answer` as a function runs only once the request is authorized (a change it makes is never made for a denied caller). */
  check(req: CloudRequest): { refusal?: CloudResponse; answer?: CloudResponse | (() => CloudResponse | undefined); onAnswered?: (status: number) => void };
}

export interface EdgeOptions {
  services: Service[];
  raw?: Record<string, RawHandler>;
  /** Checks of a raw service's requests, by service name. */
  gates?: Record<string, RawGate>;
  routes?: PathRoute[];
  interceptors?: Interceptor[];
  authorizer?: Authorizer;
  /** A region whose endpoints nobody reaches (a region outage): its requests lose their connection unanswered. */
  unreachable?: (region: string) => boolean;
  /** The account a request's credentials act in (unset: every request is the default account's). */
  accountOf?: (req: IncomingMessage) => string;
  /**
   * The cloud clock (epoch ms): every answer's Date header says it, as AWS's endpoints say their time, so an SDK
   * whose clock disagrees corrects its offset from it (as it would against AWS). Unset: this machine's time.
   */
  now?: () => number;
}

const SCOPE = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

/** The (region, service) of a SigV4-signed request, from its Authorization header or presigned query. */
export function credentialScope(req: IncomingMessage): { region: string; service: string } | undefined {
  const auth = req.headers.authorization ?? '';
  let m = SCOPE.exec(auth);
  if (!m) {
    const url = new URL(req.url ?? '/', 'http://x');
    const cred = url.searchParams.get('X-Amz-Credential');
    if (cred) m = SCOPE.exec(`Credential=${cred}`);
  }
  return m ? { region: m[1], service: m[2] } : undefined;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, r: CloudResponse): void {
  const body = r.body ?? '';
  res.writeHead(r.status, { 'content-length': String(Buffer.byteLength(body)), ...r.headers });
  res.end(body);
}

export function createEdgeHandler(opts: EdgeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const byName = new Map<string, Service>();
  for (const s of opts.services) for (const n of s.names) byName.set(n, s);
  return (req, res) => {
    if (opts.now) res.setHeader('date', new Date(opts.now()).toUTCString());
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const scope = credentialScope(req);
      // as a client sees a regional endpoint that is gone: no answer, the connection drops (src/region-outage.ts)
      if (scope && opts.unreachable?.(scope.region)) return void req.socket.destroy();
      const serviceName = scope?.service ?? (opts.routes?.some((r) => url.pathname.startsWith(r.prefix)) ? '' : 's3');
      const raw = opts.raw?.[serviceName];
      const service = byName.get(serviceName);
      const route = scope ? undefined : opts.routes?.find((r) => url.pathname.startsWith(r.prefix));
      const account = scope ? (opts.accountOf?.(req) ?? OFFLINE_ACCOUNT_ID) : OFFLINE_ACCOUNT_ID;
      const evaluated = scope !== undefined && !route && opts.authorizer?.evaluates(req, serviceName, account) === true;
      const cloudRequest = (body: Buffer): CloudRequest => ({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        service: serviceName,
        region: scope?.region ?? 'us-east-1',
        account,
      });
      if (raw && !route && !(opts.interceptors?.length && service)) {
        const gate = scope ? opts.gates?.[serviceName] : undefined;
        if (!evaluated && !gate) return raw(req, res);
        // checked and authorized before the stream is handed on; only a body they read is buffered (and replayed)
        const needsBody = (evaluated && opts.authorizer!.needsBody(serviceName, req)) || gate?.needsBody(req) === true;
        const buffered = needsBody ? await readBody(req) : undefined;
        const rawReq = cloudRequest(buffered ?? Buffer.alloc(0));
        const passed = gate?.check(rawReq) ?? {};
        const answer = async (r: CloudResponse) => {
          if (!buffered) req.resume();
          send(res, r);
        };
        if (passed.refusal) return answer(passed.refusal);
        const denial = evaluated ? await opts.authorizer!.authorize(rawReq) : undefined;
        if (denial) return answer(denial);
        const answered = typeof passed.answer === 'function' ? passed.answer() : passed.answer;
        if (answered) return answer(answered);
        if (passed.onAnswered) res.on('finish', () => passed.onAnswered!(res.statusCode));
        if (evaluated) await opts.authorizer!.guard?.(rawReq, res);
        return raw(buffered ? replayed(req, buffered) : req, res);
      }
      const body = await readBody(req);
      const cloudReq = cloudRequest(body);
      if (route) return send(res, await route.handle(cloudReq));
      if (!service) return send(res, { status: 400, body: `offline cloud: no emulated service named '${serviceName}'` });
      for (const intercept of opts.interceptors ?? []) {
        const early = await intercept(cloudReq, service);
        if (early) return send(res, early);
      }
      if (evaluated) {
        const denial = await opts.authorizer!.authorize(cloudReq);
        if (denial) return send(res, denial);
      }
      try {
        send(res, await service.handle(cloudReq));
      } catch (err) {
        if (err instanceof AwsError) return send(res, service.error(err.status, err.code, err.message));
        const message = err instanceof Error ? err.message : String(err);
        send(res, service.error(500, 'InternalError', `offline cloud: ${message}`));
      }
    })().catch((err) => {
      if (!res.headersSent) send(res, { status: 500, body: String(err) });
    });
  };
}

/** A buffered request as a stream again, with the fields a raw handler reads. */
function replayed(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = Readable.from([body]);
  return Object.assign(stream, { headers: req.headers, url: req.url, method: req.method, complete: true, socket: req.socket }) as unknown as IncomingMessage;
}

export interface Listening {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:port (0 = any free port). */
export async function listen(handler: http.RequestListener, port = 0): Promise<Listening> {
  const server = http.createServer(handler);
  // Clients close idle connections first (undici after ~4 s, AWS SDK agents on their own terms): a server that
  // closes first races a client reusing the socket, seen as ECONNRESET, most often right after a synchronous
  // snapshot capture delayed the timers. AWS endpoints keep idle connections far longer too.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

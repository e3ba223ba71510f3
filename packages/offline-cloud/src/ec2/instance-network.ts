/**
 * Each booted instance's network interface: a listener of its own that its process gets as
 * AWS_ENDPOINT_URL. Per request it asks the EC2 model whether the instance's
 * traffic to that service leaves its VPC (reachability.ts): if so it forwards to the cloud's edge,
 * naming the caller in `x-lifeboat-instance-id`; if not it accepts and never answers, as a
 * blackholed connection on EC2 does (the client's own timeout decides). IMDS (169.254.169.254 on
 * EC2) is link-local and always answers: it has its own listener (imds-endpoint.ts), not this one.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Verdict } from './reachability';

export const INSTANCE_ID_HEADER = 'x-lifeboat-instance-id';

/** The SigV4 credential scope of a request (Authorization header or presigned query): AKID/date/region/service/aws4_request. */
function scopeOf(req: http.IncomingMessage): string[] {
  const auth = req.headers.authorization ?? '';
  const query = new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Credential') ?? '';
  return (/Credential=([^,\s]+)/.exec(auth)?.[1] ?? query).split('/');
}

/** The SigV4 service of a request; '' when unsigned (plain internet). */
export function serviceOf(req: http.IncomingMessage): string {
  return scopeOf(req)[3] ?? '';
}

/** The region a request is signed for (the service endpoint's region); undefined when unsigned. */
export function regionOf(req: http.IncomingMessage): string | undefined {
  return scopeOf(req)[2] || undefined;
}

interface Interface {
  server: http.Server;
  sockets: Set<Socket>;
  url: string;
}

export class InstanceInterfaces {
  private readonly open = new Map<string, Promise<Interface>>();

  constructor(
    private readonly edge: () => string,
    private readonly reach: (instanceId: string, service: string, region?: string) => Verdict,
    private readonly log: (message: string) => void,
  ) {}

  /** The interface's URL (http://127.0.0.1:PORT), opened on first use. */
  async url(instanceId: string): Promise<string> {
    let nic = this.open.get(instanceId);
    if (!nic) {
      nic = this.listen(instanceId);
      this.open.set(instanceId, nic);
    }
    return (await nic).url;
  }

  private async listen(instanceId: string): Promise<Interface> {
    const sockets = new Set<Socket>();
    const blocked = new Set<string>();
    const server = http.createServer((req, res) => {
      const service = serviceOf(req);
      const v = this.reach(instanceId, service, regionOf(req));
      if (!v.reachable) {
        if (!blocked.has(service)) this.log(`instance ${instanceId}: ${service || 'internet'} unreachable (${v.why}); its connections hang`);
        blocked.add(service);
        req.resume();
        return;
      }
      blocked.delete(service);
      const target = new URL(req.url ?? '/', this.edge());
      const headers = { ...req.headers, [INSTANCE_ID_HEADER]: instanceId };
      const out = http.request(target, { method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => res.destroy());
      req.pipe(out);
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    server.unref();
    return { server, sockets, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  close(instanceId: string): void {
    const nic = this.open.get(instanceId);
    this.open.delete(instanceId);
    void nic?.then(({ server, sockets }) => {
      server.close();
      for (const s of sockets) s.destroy();
    });
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.close(id);
  }
}

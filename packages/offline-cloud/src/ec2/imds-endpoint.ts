/**
 * Each booted instance's own IMDS address: on EC2 the metadata service answers at the root of 169.254.169.254
 * (http://169.254.169.254/latest/...), and the SDK's credential provider asks for absolute paths
 * (/latest/api/token, /latest/meta-data/iam/security-credentials/), so a path prefix cannot tell instances apart.
 * This listens on a port of 127.0.0.1 of its own per instance and forwards to the edge's /_imds/<instanceId>/ route.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IMDS_PREFIX } from './imds';

export interface ImdsEndpoint {
  /** http://127.0.0.1:PORT/ — the instance's AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  readonly url: string;
  close(): void;
}

export async function startImdsEndpoint(edgeUrl: string, instanceId: string): Promise<ImdsEndpoint> {
  const edge = new URL(edgeUrl);
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      {
        host: edge.hostname,
        port: edge.port,
        method: req.method,
        path: `${IMDS_PREFIX}${instanceId}${req.url ?? '/'}`,
        headers: { ...req.headers, host: edge.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

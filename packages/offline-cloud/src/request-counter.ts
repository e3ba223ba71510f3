/**
 * Counts the API requests that reach the offline cloud, by service and operation ("ec2:RunInstances",
 * "ebs:ListChangedBlocks", "s3:PUT"), so a benchmark can price a sync's calls. Counts every attempt,
 * including ones a fault then rejects (AWS meters those too). Observes only: never answers a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interceptor, RawHandler } from './edge';
import type { CloudRequest } from './service';

export type RequestCounts = Record<string, number>;

/** EBS direct APIs are REST: the operation is the method and the path's shape. */
export function ebsOperation(method: string, path: string): string {
  if (/^\/snapshots\/[^/]+\/blocks\/\d+$/.test(path)) return method === 'PUT' ? 'PutSnapshotBlock' : 'GetSnapshotBlock';
  if (/^\/snapshots\/[^/]+\/blocks$/.test(path)) return 'ListSnapshotBlocks';
  if (/^\/snapshots\/[^/]+\/changedblocks$/.test(path)) return 'ListChangedBlocks';
  if (/^\/snapshots\/completion\//.test(path)) return 'CompleteSnapshot';
  if (method === 'POST' && path === '/snapshots') return 'StartSnapshot';
  return `${method} ${path.replace(/\/[^/]*\d[^/]*/g, '/{id}')}`;
}

/** The operation a query-protocol request (EC2) or JSON request (X-Amz-Target) names. */
export function operationOf(req: Pick<CloudRequest, 'service' | 'method' | 'path' | 'query' | 'headers' | 'body'>): string {
  if (req.service === 'ebs') return ebsOperation(req.method, req.path);
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const fromQuery = req.query.get('Action');
  if (fromQuery) return fromQuery;
  const fromBody = /(?:^|&)Action=([^&]+)/.exec(req.body.toString('latin1', 0, Math.min(req.body.length, 512)));
  return fromBody ? decodeURIComponent(fromBody[1]) : `${req.method} ${req.path}`;
}

function bump(counts: RequestCounts, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

export function requestCounter(counts: RequestCounts): Interceptor {
  return async (req) => {
    bump(counts, `${req.service}:${operationOf(req)}`);
    return undefined;
  };
}

/** S3 goes to its emulator raw: counted by method (GET with list-type is a LIST), then passed on untouched. */
export function countingRaw(counts: RequestCounts, handler: RawHandler): RawHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '';
    const method = req.method ?? 'GET';
    bump(counts, `s3:${method === 'GET' && /[?&]list-type=/.test(url) ? 'LIST' : method}`);
    handler(req, res);
  };
}

/** Totals per service prefix ("ec2", "ebs", "s3", "states"). */
export function totalsByService(counts: RequestCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(counts)) {
    const service = key.slice(0, key.indexOf(':'));
    out[service] = (out[service] ?? 0) + n;
  }
  return out;
}

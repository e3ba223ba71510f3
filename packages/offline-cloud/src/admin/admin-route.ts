/**
 * The offline cloud's unsigned admin route (fixed interface; tests outside the project use the PUT):
 *   PUT /_lifeboat/volumes/{volumeId}/data?offset=N          raw body written at byte offset N (any alignment)
 *                                                            → 200 {"volumeId","offset","bytes"}; 404 unknown
 *                                                              volume; 400 bad offset or past the volume's end
 *   GET /_lifeboat/volumes/{volumeId}/data?offset=N&length=L → the bytes (application/octet-stream)
 *   GET /_lifeboat/health                                    → 200 {"ok":true}
 */
import type { CloudContext } from '../context';
import type { PathRoute } from '../edge';
import type { CloudRequest, CloudResponse } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';

export const ADMIN_PREFIX = '/_lifeboat/';
/** A GET answers at most this much at once (the whole answer is buffered in memory). */
const MAX_READ_BYTES = 256 * 1024 * 1024;
const VOLUME_DATA = /^\/_lifeboat\/volumes\/([^/]+)\/data$/;

function json(status: number, value: unknown): CloudResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

const problem = (status: number, message: string) => json(status, { error: message });

/** A non-negative safe integer from a query parameter, or an error message. */
function nonNegativeInt(query: URLSearchParams, name: string): number | string {
  const text = query.get(name);
  if (text === null) return `query parameter '${name}' is required`;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) return `query parameter '${name}' must be a non-negative integer, got '${text}'`;
  return Number(text);
}

export function adminRoute(storage: VolumeStorage, ctx: CloudContext): PathRoute {
  function volumeData(req: CloudRequest, volumeId: string): CloudResponse {
    if (req.method !== 'PUT' && req.method !== 'GET') return problem(405, `${req.method} is not allowed here`);
    if (!storage.hasVolume(volumeId)) return problem(404, `volume ${volumeId} does not exist`);
    const offset = nonNegativeInt(req.query, 'offset');
    if (typeof offset === 'string') return problem(400, offset);
    try {
      if (req.method === 'PUT') {
        storage.writeVolume(volumeId, offset, req.body);
        return json(200, { volumeId, offset, bytes: req.body.length });
      }
      const length = nonNegativeInt(req.query, 'length');
      if (typeof length === 'string') return problem(400, length);
      if (length > MAX_READ_BYTES) return problem(400, `length is at most ${MAX_READ_BYTES} bytes per request`);
      return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: storage.readVolume(volumeId, offset, length) };
    } catch (err) {
      if (err instanceof RangeError) return problem(400, err.message);
      ctx.log(`admin: ${req.method} ${req.path} failed: ${(err as Error).message}`);
      return problem(500, (err as Error).message);
    }
  }

  return {
    prefix: ADMIN_PREFIX,
    async handle(req) {
      if (req.path === '/_lifeboat/health') return req.method === 'GET' ? json(200, { ok: true }) : problem(405, 'use GET');
      const m = VOLUME_DATA.exec(req.path);
      if (m) return volumeData(req, decodeURIComponent(m[1]));
      return problem(404, `no admin route ${req.method} ${req.path}`);
    },
  };
}

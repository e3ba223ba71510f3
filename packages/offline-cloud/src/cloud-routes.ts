/**
 * The offline cloud's own control routes under /_lifeboat/ that belong to the cloud process:
 *   GET  /_lifeboat/faults                 → { faults, counts } (the live config and injected-fault counts)
 *   PUT  /_lifeboat/faults                 ← JSON: FaultConfig fields to change, or { "spec": "throttle=0.5,..." };
 *                                            { "resetCounts": true } zeroes the counts; naming a seed
 *                                            restarts the fault RNG
 *   POST /_lifeboat/instances/{id}/kill    → kills the instance's agent process (agent-death fault)
 * Any other /_lifeboat/ path goes to the admin route (when present).
 */
import type { PathRoute } from './edge';
import type { CloudContext, FaultConfig } from './context';
import type { CloudRequest, CloudResponse } from './service';
import { countFault, FaultSpecError, parseFaultSpec, restartFaultRandom, validateFaultConfig } from './faults';

export const LIFEBOAT_PREFIX = '/_lifeboat/';
const FAULT_FIELDS: ReadonlyArray<keyof FaultConfig> = [
  'throttleRate',
  'serverErrorRate',
  'latencyMs',
  'consistencyMs',
  'insufficientCapacityRate',
  'services',
  'seed',
];

function json(status: number, value: unknown): CloudResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** Applies a PUT body to the live config, all or nothing. */
export function applyFaultUpdate(live: FaultConfig, counts: Record<string, number>, body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FaultSpecError('body must be a JSON object');
  const { spec, resetCounts, ...fields } = body as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((k) => !FAULT_FIELDS.includes(k as keyof FaultConfig));
  if (unknown.length) throw new FaultSpecError(`unknown fault field(s): ${unknown.join(', ')}`);
  if (spec !== undefined && typeof spec !== 'string') throw new FaultSpecError('spec must be a string');
  const next: FaultConfig = { ...live, ...(spec ? parseFaultSpec(spec) : {}), ...(fields as Partial<FaultConfig>) };
  validateFaultConfig(next);
  Object.assign(live, next, { services: [...next.services] });
  // naming a seed (even the same one) restarts the fault stream, so a run can be repeated
  if (next.seed !== undefined && ('seed' in fields || /(^|,)\s*seed\s*=/.test(String(spec ?? '')))) restartFaultRandom(live);
  if (resetCounts === true) for (const k of Object.keys(counts)) delete counts[k];
}

export function cloudControlRoute(ctx: CloudContext, killInstanceProcess: (id: string) => boolean, fallback?: PathRoute): PathRoute {
  return {
    prefix: LIFEBOAT_PREFIX,
    handle: async (req: CloudRequest): Promise<CloudResponse> => {
      if (req.path === `${LIFEBOAT_PREFIX}faults`) {
        if (req.method === 'GET') return json(200, { faults: ctx.faults, counts: ctx.faultCounts });
        if (req.method !== 'PUT') return json(405, { error: 'use GET or PUT' });
        try {
          applyFaultUpdate(ctx.faults, ctx.faultCounts, JSON.parse(req.body.toString('utf8') || '{}'));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          return json(400, { error: `bad fault update: ${message}` });
        }
        return json(200, { faults: ctx.faults, counts: ctx.faultCounts });
      }
      const kill = /^\/_lifeboat\/instances\/([^/]+)\/kill$/.exec(req.path);
      if (kill && req.method === 'POST') {
        const id = decodeURIComponent(kill[1]);
        const killed = killInstanceProcess(id);
        if (killed) countFault(ctx.faultCounts, 'kill');
        return json(killed ? 200 : 404, killed ? { killed: id } : { error: `no running agent process for ${id}` });
      }
      if (fallback && req.path.startsWith(fallback.prefix)) return fallback.handle(req);
      return json(404, { error: `offline cloud: no route ${req.method} ${req.path}` });
    },
  };
}

/**
 * Fault injection for the offline cloud: the `--faults SPEC` grammar, a seeded RNG, and the edge
 * interceptor that answers throttling / 5xx errors in each service's own wire shape and adds latency.
 *
 * SPEC grammar (comma-separated `key=value` parts, each key at most once, all optional):
 *   throttle=RATE       fraction 0..1 of requests answered with the service's throttling error
 *   5xx=RATE            fraction 0..1 answered 500 InternalError or 503 ServiceUnavailable
 *   latency=MS          milliseconds added to every request
 *   consistency=MS      a new EC2 resource stays NotFound to Describe-by-id for MS after creation, and Step
 *                       Functions' ListExecutions/DescribeExecution answer as of MS ago (src/sfn/consistency.ts);
 *                       applies whatever `services` says
 *   capacity=RATE       fraction 0..1 of RunInstances answered InsufficientInstanceCapacity (HTTP 500, AWS's
 *                       message naming the type and zone); applies whatever `services` says
 *   seed=N              integer seed of the fault RNG (same seed, same faults)
 *   services=A+B        SigV4 service names the rate faults and latency apply to (default ec2+ebs;
 *                       ec2, ebs, states — not s3, which is streamed to s3rver untouched)
 * e.g. `throttle=0.2,5xx=0.05,latency=20,consistency=3000,seed=7,services=ec2+ebs`
 */
import type { Interceptor } from './edge';
import type { CloudContext, FaultConfig } from './context';
import { DEFAULT_FAULTS } from './context';
import type { CloudResponse, Service } from './service';

export const FAULT_SPEC_HELP =
  'comma-separated key=value: throttle=RATE, 5xx=RATE, capacity=RATE (RATE 0..1), latency=MS, consistency=MS, ' +
  'seed=INT, services=NAME+NAME (default ec2+ebs); e.g. throttle=0.2,5xx=0.05,latency=20,seed=7';

/** Services the rate faults apply to when `services` is empty. */
export const DEFAULT_FAULT_SERVICES = ['ec2', 'ebs'];

export class FaultSpecError extends Error {}

const RATE_KEYS = { throttle: 'throttleRate', '5xx': 'serverErrorRate', capacity: 'insufficientCapacityRate' } as const;
const MS_KEYS = { latency: 'latencyMs', consistency: 'consistencyMs' } as const;

/** Parses a `--faults` SPEC into the fields it sets; throws FaultSpecError naming the bad part. */
export function parseFaultSpec(spec: string): Partial<FaultConfig> {
  const out: Partial<FaultConfig> = {};
  const seen = new Set<string>();
  for (const rawPart of spec.split(',')) {
    const part = rawPart.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new FaultSpecError(`bad fault spec part '${part}': expected key=value (${FAULT_SPEC_HELP})`);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (seen.has(key)) throw new FaultSpecError(`bad fault spec part '${part}': '${key}' given twice`);
    seen.add(key);
    const bad = (why: string) => new FaultSpecError(`bad fault spec part '${part}': ${why}`);
    if (key in RATE_KEYS) {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n) || n < 0 || n > 1) throw bad('rate must be a number from 0 to 1');
      out[RATE_KEYS[key as keyof typeof RATE_KEYS]] = n;
    } else if (key in MS_KEYS) {
      const n = Number(value);
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw bad('must be a whole number of milliseconds');
      out[MS_KEYS[key as keyof typeof MS_KEYS]] = n;
    } else if (key === 'seed') {
      if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw bad('seed must be an integer');
      out.seed = Number(value);
    } else if (key === 'services') {
      const names = value.split('+').map((s) => s.trim());
      if (names.some((n) => !/^[a-z0-9-]+$/.test(n))) throw bad('services must be SigV4 names joined by +, e.g. ec2+ebs');
      if (names.includes('s3')) throw bad('faults cannot apply to s3 (it is streamed to s3rver untouched); use ec2, ebs, states');
      out.services = names;
    } else {
      throw bad(`unknown key '${key}' (${FAULT_SPEC_HELP})`);
    }
  }
  return out;
}

/** Checks a whole FaultConfig (e.g. one PUT to /_lifeboat/faults); throws FaultSpecError. */
export function validateFaultConfig(c: FaultConfig): void {
  const rate = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new FaultSpecError(`${name} must be a number from 0 to 1`);
  };
  const ms = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new FaultSpecError(`${name} must be a whole number >= 0`);
  };
  rate('throttleRate', c.throttleRate);
  rate('serverErrorRate', c.serverErrorRate);
  rate('insufficientCapacityRate', c.insufficientCapacityRate);
  ms('latencyMs', c.latencyMs);
  ms('consistencyMs', c.consistencyMs);
  if (typeof c.seed !== 'number' || !Number.isSafeInteger(c.seed)) throw new FaultSpecError('seed must be an integer');
  if (!Array.isArray(c.services) || c.services.some((s) => typeof s !== 'string')) {
    throw new FaultSpecError('services must be a list of SigV4 service names');
  }
}

export function faultConfig(overrides: Partial<FaultConfig> = {}): FaultConfig {
  const c = { ...DEFAULT_FAULTS, ...overrides, services: [...(overrides.services ?? DEFAULT_FAULTS.services)] };
  validateFaultConfig(c);
  return c;
}

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** HTTP status each protocol uses for its throttling error (EC2 query: 503; SFN JSON: 400; EBS REST: 429). */
export function throttleStatus(serviceName: string): number {
  if (serviceName === 'ec2') return 503;
  if (serviceName === 'states') return 400;
  return 429;
}

export function countFault(counts: Record<string, number>, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

/** The RNG of each live FaultConfig, so a cloud's route and interceptor share one fault stream. */
const streams = new WeakMap<FaultConfig, { seed: number; next: () => number }>();

function faultRandom(f: FaultConfig): () => number {
  let stream = streams.get(f);
  if (!stream || stream.seed !== f.seed) {
    stream = { seed: f.seed, next: seededRandom(f.seed) };
    streams.set(f, stream);
  }
  return stream.next;
}

/** One draw of the fault stream: true with probability `rate` (a fault an emulator injects itself, e.g. capacity). */
export function rollFault(f: FaultConfig, rate: number): boolean {
  return rate > 0 && faultRandom(f)() < rate;
}

/** Restarts the fault RNG from `faults.seed` (a run that sets the same seed again repeats its faults). */
export function restartFaultRandom(f: FaultConfig): void {
  streams.delete(f);
}

/**
 * The edge interceptor. Reads `ctx.faults` on every request, so changes made at run time apply at once;
 * a changed seed restarts the RNG. Counts each injected fault by kind: throttle, 5xx, latency.
 */
export function faultInterceptor(ctx: CloudContext): Interceptor {
  return async (req, service: Service): Promise<CloudResponse | undefined> => {
    const f = ctx.faults;
    const targets = f.services.length ? f.services : DEFAULT_FAULT_SERVICES;
    if (!targets.includes(req.service)) return undefined;
    const random = faultRandom(f);
    if (f.latencyMs > 0) {
      countFault(ctx.faultCounts, 'latency');
      await new Promise((resolve) => setTimeout(resolve, f.latencyMs));
    }
    if (f.throttleRate > 0 && random() < f.throttleRate) {
      countFault(ctx.faultCounts, 'throttle');
      return service.error(throttleStatus(req.service), service.throttleCode, 'Request limit exceeded (offline cloud fault injection).');
    }
    if (f.serverErrorRate > 0 && random() < f.serverErrorRate) {
      countFault(ctx.faultCounts, '5xx');
      return random() < 0.5
        ? service.error(500, 'InternalError', 'An internal error has occurred (offline cloud fault injection).')
        : service.error(503, 'ServiceUnavailable', 'The service is unavailable (offline cloud fault injection).');
    }
    return undefined;
  };
}

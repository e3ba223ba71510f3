/**
 * A region outage, as a disaster is rehearsed offline: `PUT /_lifeboat/regions/{region}/outage` with
 * `{"down": true}` takes the region away, `{"down": false}` brings it back with its state intact.
 * While a region is down:
 * - every request whose SigV4 scope names it (EC2, EBS, Step Functions, S3, and IAM, which signs for us-east-1)
 *   loses its connection without an answer, as a client sees an unreachable regional endpoint (the SDK retries,
 *   then fails with a network error, never an HTTP status);
 * - its instances' processes stop (the machines are gone; EC2's model keeps them as they were);
 * - its schedules do not fire (no catch-up afterwards, as EventBridge does not replay a missed rate), and its
 *   executions make no progress at their next Lambda task until the region is back. AWS documents Standard
 *   workflows as durable ("exactly-once ... executions can run for up to one year",
 *   https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html); a paused task stands for that.
 * The outage set survives a restart with `--data`. GET /_lifeboat/regions lists the regions down.
 */
import { isRegionName } from './account-regions';
import type { PathRoute } from './edge';
import type { CloudResponse } from './service';

export const REGIONS_PATH = '/_lifeboat/regions';

/** Takes `region` down (or brings it back) on the offline cloud at `endpoint`, through its admin route. */
export async function putRegionOutage(endpoint: string, region: string, down: boolean): Promise<void> {
  const res = await fetch(`${endpoint}${REGIONS_PATH}/${region}/outage`, { method: 'PUT', body: JSON.stringify({ down }) });
  if (res.status !== 200) throw new Error(`the offline cloud refused the outage of ${region}: HTTP ${res.status} ${await res.text()}`);
}

export type OutageListener = (region: string, down: boolean) => void;

export class RegionOutages {
  private readonly down = new Set<string>();
  private readonly listeners: OutageListener[] = [];
  private readonly waiters = new Map<string, Array<() => void>>();

  isDown(region: string): boolean {
    return this.down.has(region);
  }

  list(): string[] {
    return [...this.down].sort();
  }

  /** Takes a region away or brings it back; listeners hear only real changes. */
  set(region: string, down: boolean): void {
    if (this.down.has(region) === down) return;
    if (down) this.down.add(region);
    else this.down.delete(region);
    for (const l of this.listeners) l(region, down);
    if (!down) {
      for (const wake of this.waiters.get(region) ?? []) wake();
      this.waiters.delete(region);
    }
  }

  onChange(listener: OutageListener): void {
    this.listeners.push(listener);
  }

  /** Resolves once the region is up (at once when it is). */
  whenUp(region: string): Promise<void> {
    if (!this.down.has(region)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(region) ?? [];
      list.push(resolve);
      this.waiters.set(region, list);
    });
  }

  toJSON(): string[] {
    return this.list();
  }

  restore(saved: unknown): void {
    for (const r of Array.isArray(saved) ? saved : []) if (typeof r === 'string' && isRegionName(r)) this.set(r, true);
  }
}

const json = (status: number, value: unknown): CloudResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

export function regionsRoute(outages: RegionOutages, markDirty: () => void): PathRoute {
  return {
    prefix: REGIONS_PATH,
    handle: async (req) => {
      if (req.path === REGIONS_PATH) {
        if (req.method !== 'GET') return json(405, { error: 'use GET' });
        return json(200, { down: outages.list() });
      }
      const m = /^\/_lifeboat\/regions\/([^/]+)\/outage$/.exec(req.path);
      if (!m) return json(404, { error: `offline cloud: no route ${req.method} ${req.path}` });
      const region = decodeURIComponent(m[1]);
      if (!isRegionName(region)) return json(400, { error: `'${region}' is not an AWS region name (e.g. us-east-1, eu-west-1)` });
      if (req.method === 'GET') return json(200, { region, down: outages.isDown(region) });
      if (req.method !== 'PUT') return json(405, { error: 'use PUT with {"down": true} or {"down": false}' });
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString('utf8'));
      } catch {
        return json(400, { error: 'body must be JSON: {"down": true} or {"down": false}' });
      }
      const down = (body as { down?: unknown } | null)?.down;
      if (typeof down !== 'boolean') return json(400, { error: 'body must name "down" as true or false: {"down": true}' });
      outages.set(region, down);
      markDirty();
      return json(200, { region, down });
    },
  };
}

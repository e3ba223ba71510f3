/**
 * Runs one step attempt under the VPG's lease: before anything else it proves the lease is still this
 * execution's (a conditional write that also records the attempt as running), and after it ends, however it
 * ends, it leaves. 'required' steps stop with LeaseLost when the lease is gone; 'best-effort' steps (the failure
 * cleanups) run on, told through `deps.leaseHeld` that they may touch only what their own execution made.
 */
import { randomUUID } from 'node:crypto';
import { enterStep, LeaseLost, leaveStep } from '../core/lease/lease-guard';
import type { StepBasics, StepDeps } from '../core/sync/deps';
import { leaseHorizonSeconds } from '../core/lease/vpg-lease';
import { maxWaitSeconds } from '../core/workers/wait-policy';

export type LeasePolicy = 'none' | 'required' | 'best-effort';

/** Who acts, under which VPG and token, read from the raw event (schemas strip what a step does not use). */
export interface LeaseUse {
  readonly vpg: string;
  readonly executionArn: string;
  readonly token: number | undefined;
  readonly pollSeconds: number;
}

type RawEvent = {
  vpg?: { name?: unknown; pollSeconds?: unknown };
  executionId?: unknown;
  begin?: { skipped?: unknown; lease?: { token?: unknown } };
  lease?: { token?: unknown };
  stop?: { lease?: { token?: unknown } };
  resolve?: { mode?: unknown };
  mode?: unknown;
};

const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);

/** A sync step's lease use; undefined for a skipped sync (it never took the lease). */
export function syncLeaseUse(event: unknown): LeaseUse | undefined {
  const e = (event ?? {}) as RawEvent;
  if (e.begin?.skipped === true || typeof e.vpg?.name !== 'string' || typeof e.executionId !== 'string') return undefined;
  return { vpg: e.vpg.name, executionArn: e.executionId, token: num(e.begin?.lease?.token) ?? num(e.lease?.token), pollSeconds: num(e.vpg.pollSeconds) ?? 30 };
}

/** A failback step's lease use: live mode only (a test failback reads under a reader record instead). */
export function failbackLeaseUse(event: unknown): LeaseUse | undefined {
  const e = (event ?? {}) as RawEvent;
  const live = e.resolve?.mode === 'live' || e.mode === 'live';
  if (!live || typeof e.vpg?.name !== 'string' || typeof e.executionId !== 'string') return undefined;
  return { vpg: e.vpg.name, executionArn: e.executionId, token: num(e.stop?.lease?.token), pollSeconds: num(e.vpg.pollSeconds) ?? 30 };
}

/** A journal run's step (runtime/core/journal/contract.ts): under the lease its Begin took; undefined when it skipped. */
export function journalLeaseUse(event: unknown): LeaseUse | undefined {
  const e = (event ?? {}) as RawEvent;
  if (e.begin?.skipped !== false || typeof e.vpg?.name !== 'string' || typeof e.executionId !== 'string') return undefined;
  return { vpg: e.vpg.name, executionArn: e.executionId, token: num(e.begin?.lease?.token), pollSeconds: num(e.vpg.pollSeconds) ?? 30 };
}

export async function underLease<D extends StepBasics, R>(policy: LeasePolicy, use: LeaseUse | undefined, deps: D, run: (deps: D) => Promise<R>): Promise<R> {
  if (policy === 'none' || !use) return run(deps);
  // the step's options require the lease store of a guarded step (LeaseNeeds): this holds unless a cast lied
  const { lease } = deps as Partial<Pick<StepDeps, 'lease'>>;
  if (!lease) throw new Error(`a ${policy} lease step was given no lease store: wire it in the handler's ports`);
  const leaseDeps = { ...deps, lease };
  const attempt = randomUUID();
  const horizon = leaseHorizonSeconds(maxWaitSeconds(use.pollSeconds));
  let held = true;
  try {
    await enterStep(leaseDeps, use.vpg, use.executionArn, use.token, attempt, horizon);
  } catch (err) {
    if (!(err instanceof LeaseLost) || policy === 'required') throw err;
    held = false;
    deps.log.warn('the VPG lease is lost: touching only what this execution made', { error: err.message });
  }
  try {
    return await run({ ...deps, leaseHeld: held });
  } finally {
    if (held) await leaveStep(leaseDeps, use.vpg, use.executionArn, attempt);
  }
}

/**
 * The VPG lease over its port: every change is read → decide (runtime/core/lease/vpg-lease.ts, pure) → conditional
 * write on the ETag just read, again from the top when another writer got there first. A step that finds the
 * lease is no longer its own gets LeaseLost and must not act.
 */
import { DomainError, NotReady } from '../errors';
import type { StepLog } from '../ports';
import {
  decideAcquire,
  decideDelegate,
  decideEnterStep,
  decideHandOver,
  decideLeaveStep,
  decideRelease,
  parseLease,
  partiesOf,
  type AcquireDecision,
  type ExecutionState,
  type LeaseParty,
  type VpgLease,
} from './vpg-lease';

export interface LeaseStorePort {
  /** The lease object and its ETag; null when none was ever written. */
  readLease(vpg: string): Promise<{ readonly value: unknown; readonly etag: string } | null>;
  /** Create-only (If-None-Match: *); false when the object exists by now. */
  createLease(vpg: string, lease: VpgLease): Promise<boolean>;
  /** Replace only if unchanged (If-Match: etag); false when it changed since it was read. */
  replaceLease(vpg: string, lease: VpgLease, etag: string): Promise<boolean>;
}

/** Whether an execution still runs (DescribeExecution); 'unknown' when Step Functions could not say. */
export interface ExecutionStatePort {
  state(executionArn: string): Promise<ExecutionState>;
}

export interface LeaseDeps {
  readonly lease: LeaseStorePort;
  readonly executions: ExecutionStatePort;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: StepLog;
}

/** Proving, extending and leaving a lease already held asks no one whether an execution runs: no Step Functions. */
export type HeldLeaseDeps = Omit<LeaseDeps, 'executions'>;

/** The step no longer acts under the VPG's lease: it must stop before it changes anything. */
export class LeaseLost extends DomainError {
  override readonly name: string = 'LeaseLost';
}

/** Conditional writes lost to other writers this many times in a row: give up (NotReady, the state machine retries). */
const MAX_ATTEMPTS = 12;

async function casLease<R>(
  deps: Pick<LeaseDeps, 'lease' | 'sleep'>,
  vpg: string,
  decide: (current: VpgLease | null) => Promise<{ next: VpgLease | null; result: R }>,
): Promise<R> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const read = await deps.lease.readLease(vpg);
    const current = read ? parseLease(read.value, vpg) : null;
    const { next, result } = await decide(current);
    if (!next) return result;
    const written = read ? await deps.lease.replaceLease(vpg, next, read.etag) : await deps.lease.createLease(vpg, next);
    if (written) return result;
    // another writer (often a sibling step of the same execution) changed it first: read it again
    await deps.sleep(Math.floor(Math.random() * Math.min(2000, 50 * 2 ** attempt)));
  }
  throw new NotReady(`the lease of VPG ${vpg} kept changing under ${MAX_ATTEMPTS} conditional writes in a row; try again`);
}

async function partyStates(deps: LeaseDeps, current: VpgLease | null, me: string): Promise<Map<string, ExecutionState>> {
  const states = new Map<string, ExecutionState>();
  for (const p of partiesOf(current)) {
    if (p.executionArn === me || states.has(p.executionArn)) continue;
    states.set(p.executionArn, await deps.executions.state(p.executionArn).catch(() => 'unknown' as const));
  }
  return states;
}

export type AcquireResult =
  | { readonly held: true; readonly token: number; readonly takeover: string | null }
  | { readonly held: false; readonly reason: string; readonly holder: LeaseParty; readonly until: string };

function outcome(d: AcquireDecision): AcquireResult {
  return d.kind === 'take' ? { held: true, token: d.lease.token, takeover: d.takeover } : { held: false, reason: d.reason, holder: d.holder, until: d.until };
}

/** Take the VPG's lease for `me` (or keep it, on a retried step). */
export async function acquireLease(deps: LeaseDeps, vpg: string, me: LeaseParty, horizonSeconds: number): Promise<AcquireResult> {
  const result = await casLease(deps, vpg, async (current) => {
    const expired = current !== null && deps.now().getTime() > Date.parse(current.expiresAt);
    const states = expired ? new Map<string, ExecutionState>() : await partyStates(deps, current, me.executionArn);
    const decision = decideAcquire(current, me, vpg, deps.now(), horizonSeconds, states);
    return { next: decision.kind === 'take' ? decision.lease : null, result: outcome(decision) };
  });
  if (result.held && result.takeover) deps.log.warn('lease taken over', { vpg, token: result.token, previous: result.takeover });
  return result;
}

/** A live failback's final sync takes the failback's lease as its delegate. */
export async function delegateLease(
  deps: LeaseDeps,
  vpg: string,
  grant: { holder: string; token: number },
  me: LeaseParty,
  horizonSeconds: number,
): Promise<AcquireResult> {
  return casLease(deps, vpg, async (current) => {
    const states = await partyStates(deps, current, me.executionArn);
    const decision = decideDelegate(current, grant, me, deps.now(), horizonSeconds, states);
    return { next: decision.kind === 'take' ? decision.lease : null, result: outcome(decision) };
  });
}

/** Prove the lease is still `me`'s (with `token`, when known), record the step attempt, extend the lease. */
export async function enterStep(
  deps: HeldLeaseDeps,
  vpg: string,
  me: string,
  token: number | undefined,
  attempt: string,
  horizonSeconds: number,
): Promise<number> {
  return casLease(deps, vpg, async (current) => {
    const d = decideEnterStep(current, me, token, attempt, deps.now(), horizonSeconds);
    if (d.kind === 'lost') throw new LeaseLost(`VPG ${vpg}: this execution no longer holds the VPG's lease (${d.reason}); it stops without changing anything`);
    return { next: d.lease, result: d.lease.token };
  });
}

/** The step attempt ended (success or not). Best effort: a step left listed only delays a takeover by its timeout. */
export async function leaveStep(deps: HeldLeaseDeps, vpg: string, me: string, attempt: string): Promise<void> {
  try {
    await casLease(deps, vpg, async (current) => ({ next: decideLeaveStep(current, me, attempt), result: undefined }));
  } catch (err) {
    deps.log.warn('could not record the end of a step in the lease (a takeover waits for its timeout instead)', { vpg, attempt, error: String(err) });
  }
}

/** Free the lease (the holder) or end a delegation (the delegate). True when `me` held or acted under it. */
export async function releaseLease(deps: HeldLeaseDeps, vpg: string, me: string): Promise<boolean> {
  return casLease(deps, vpg, async (current) => {
    const next = decideRelease(current, me, deps.now());
    return { next, result: next !== null };
  });
}

/**
 * Hand `from`'s part of the lease to its continuation `to` (vpg-lease.ts decideHandOver); the token `to` acts
 * with. LeaseLost when `from` no longer acts under the lease: it must not start a continuation.
 */
export async function handOverLease(deps: LeaseDeps, vpg: string, from: string, token: number, to: LeaseParty, horizonSeconds: number): Promise<number> {
  const handed = await casLease(deps, vpg, async (current) => {
    const d = decideHandOver(current, from, token, to, deps.now(), horizonSeconds);
    if (d.kind === 'lost')
      throw new LeaseLost(`VPG ${vpg}: this execution can no longer hand the lease over (${d.reason}); it stops without starting a continuation`);
    return { next: d.lease, result: d.token };
  });
  deps.log.info('lease handed over to the continuation', { vpg, to: to.executionArn, token: handed });
  return handed;
}

/** The lease as it stands, for readers that only look (the sweeper, status). */
export async function currentLease(deps: Pick<LeaseDeps, 'lease'>, vpg: string): Promise<VpgLease | null> {
  const read = await deps.lease.readLease(vpg);
  return read ? parseLease(read.value, vpg) : null;
}

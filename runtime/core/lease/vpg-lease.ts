/**
 * The VPG lease, decided on plain data: one writer per VPG (a sync, its compaction, a split site's journal run in
 * the recovery site, or a live failback and the final sync it delegates to). The lease is one S3 object written only with conditional writes (If-None-Match
 * to create, If-Match on the ETag just read to change), which S3 evaluates atomically, so two writers can never
 * both believe they hold it; the eventually consistent ListExecutions plays no part.
 *
 * Fencing: `token` grows by one at every acquisition. Every step of a holder starts by renewing (a conditional
 * write that proves the lease is still its own, with its token) and records itself in `steps` until it ends, so
 * a step that lost the lease stops before acting, and a newcomer takes over a dead holder only once no step of
 * it can still be running (a Lambda never outlives its timeout, STEP_MAX_SECONDS).
 */

/** Longest one step's Lambda runs (the functions' timeout: lib/lifeboat-function.ts uses the same figure). */
export const STEP_MAX_SECONDS = 300;
/** Clock skew and scheduling slack added to every bound. */
export const LEASE_MARGIN_SECONDS = 60;
/** Step Functions may retry a failed step for this long (lib/lambda-task.ts: 8 attempts, backoff to 2 min). */
export const RETRY_BUDGET_SECONDS = 600;

/**
 * Who may hold a VPG's lease: a sync (with its compaction, in a site without a recovery site elsewhere), a live
 * failback, or the recovery site's journal run (lib/journal-state-machine.ts), which compacts a split site's journal.
 */
export const LEASE_KINDS = ['sync', 'failback', 'journal'] as const;
export type LeaseKind = (typeof LEASE_KINDS)[number];

export interface LeaseParty {
  readonly executionArn: string;
  readonly kind: LeaseKind;
}

export interface VpgLease {
  readonly format: 1;
  readonly vpg: string;
  /** Fencing token: +1 at every acquisition, never reused (the object is never deleted). */
  readonly token: number;
  /** null: free. */
  readonly holder: LeaseParty | null;
  /** A live failback's final sync, acting under the failback's lease. */
  readonly delegate: LeaseParty | null;
  readonly acquiredAt: string;
  readonly renewedAt: string;
  /** Without a renewal by then, the lease is free to take. */
  readonly expiresAt: string;
  /** Step attempts running under the lease: attempt id → ISO start. */
  readonly steps: Readonly<Record<string, string>>;
  /** Who released it last (with `token` unchanged since, no one else has held it). */
  readonly releasedBy?: LeaseParty | null;
}

/** What a newcomer knows of the current parties' executions (DescribeExecution; unknown when it could not say). */
export type ExecutionState = 'running' | 'ended' | 'unknown';

export type AcquireDecision =
  | { readonly kind: 'take'; readonly lease: VpgLease; readonly takeover: string | null }
  | { readonly kind: 'refuse'; readonly reason: string; readonly holder: LeaseParty; readonly until: string };

const iso = (ms: number) => new Date(ms).toISOString();
const secondsMs = (s: number) => s * 1000;

/** How long a renewal keeps the lease: the wait that follows the step, the step itself, its retries, a margin. */
export function leaseHorizonSeconds(waitSeconds: number): number {
  return Math.max(0, waitSeconds) + STEP_MAX_SECONDS + RETRY_BUDGET_SECONDS + LEASE_MARGIN_SECONDS;
}

const PARTY_WORDS: Readonly<Record<LeaseKind, string>> = { sync: 'sync', failback: 'live failback', journal: 'journal compaction' };

function describeParty(p: LeaseParty): string {
  return `${PARTY_WORDS[p.kind]} ${p.executionArn}`;
}

/**
 * Whether a party's execution may own EC2 resources or working files (zSATs, importers, snapshots, syncs/ and
 * imports/ files). A journal run launches nothing and writes only its marker, so whoever looks for what a running
 * execution still uses (the sweeper) has nothing of it to keep, and need not ask Step Functions about it.
 */
export function ownsWorkResources(p: LeaseParty): boolean {
  return p.kind !== 'journal';
}

/** Steps that may still be running at `now` (their Lambda's timeout has not passed). */
export function stepsInFlight(lease: VpgLease, now: Date): string[] {
  const bound = secondsMs(STEP_MAX_SECONDS + LEASE_MARGIN_SECONDS);
  return Object.entries(lease.steps)
    .filter(([, started]) => now.getTime() - Date.parse(started) < bound)
    .map(([id]) => id);
}

/** The execution ARNs a newcomer must know the state of before it may take over. */
export function partiesOf(lease: VpgLease | null): LeaseParty[] {
  if (!lease) return [];
  return [lease.holder, lease.delegate].filter((p): p is LeaseParty => p !== null);
}

/**
 * May `me` take the lease? Free, expired, or every party ended with no step of theirs still possibly running:
 * take it with the next token. Held by `me` already (a retried Begin): keep it. Otherwise refuse, naming the holder.
 */
export function decideAcquire(
  current: VpgLease | null,
  me: LeaseParty,
  vpg: string,
  now: Date,
  horizonSeconds: number,
  states: ReadonlyMap<string, ExecutionState>,
): AcquireDecision {
  const fresh = (token: number, takeover: string | null): AcquireDecision => ({
    kind: 'take',
    takeover,
    lease: {
      format: 1,
      vpg,
      token,
      holder: me,
      delegate: null,
      acquiredAt: now.toISOString(),
      renewedAt: now.toISOString(),
      expiresAt: iso(now.getTime() + secondsMs(horizonSeconds)),
      steps: {},
      releasedBy: null,
    },
  });
  if (!current) return fresh(1, null);
  if (current.holder?.executionArn === me.executionArn) {
    return { kind: 'take', takeover: null, lease: { ...current, renewedAt: now.toISOString(), expiresAt: later(current.expiresAt, now, horizonSeconds) } };
  }
  if (!current.holder) return fresh(current.token + 1, null);
  if (now.getTime() > Date.parse(current.expiresAt)) return fresh(current.token + 1, `${describeParty(current.holder)} let it expire at ${current.expiresAt}`);
  const parties = partiesOf(current);
  const allEnded = parties.every((p) => states.get(p.executionArn) === 'ended');
  const inFlight = stepsInFlight(current, now);
  if (allEnded && inFlight.length === 0) return fresh(current.token + 1, `${describeParty(current.holder)} has ended without releasing it`);
  const why = allEnded
    ? `${describeParty(current.holder)} has ended, but ${inFlight.length} step(s) it started may still run until ${iso(latestStepEnd(current))}`
    : `held by ${describeParty(current.holder)}${current.delegate ? ` (its final sync ${current.delegate.executionArn} acting for it)` : ''}`;
  return { kind: 'refuse', reason: why, holder: current.holder, until: current.expiresAt };
}

function latestStepEnd(lease: VpgLease): number {
  const starts = Object.values(lease.steps).map((s) => Date.parse(s));
  return Math.max(0, ...starts) + secondsMs(STEP_MAX_SECONDS + LEASE_MARGIN_SECONDS);
}

function later(expiresAt: string, now: Date, horizonSeconds: number): string {
  return iso(Math.max(Date.parse(expiresAt), now.getTime() + secondsMs(horizonSeconds)));
}

/** `me` acts under the lease: as its holder, or as the delegate the holder named. */
export function actsUnder(lease: VpgLease | null, me: string, token?: number): boolean {
  if (!lease || (token !== undefined && lease.token !== token)) return false;
  return lease.holder?.executionArn === me || lease.delegate?.executionArn === me;
}

export type RenewDecision = { readonly kind: 'renew'; readonly lease: VpgLease } | { readonly kind: 'lost'; readonly reason: string };

/**
 * A step of `me` begins (`attempt` added to the steps in flight) and extends the lease by its horizon. Lost when
 * another execution holds it now, or the token changed: the step must stop before acting.
 */
export function decideEnterStep(
  current: VpgLease | null,
  me: string,
  token: number | undefined,
  attempt: string,
  now: Date,
  horizonSeconds: number,
): RenewDecision {
  // A step retried after its execution released the lease (its last step crashed after the release): with the
  // token unchanged nobody has held it since, so the same execution may hold it again.
  const reclaim = current !== null && current.holder === null && token !== undefined && current.token === token && current.releasedBy?.executionArn === me;
  if (!reclaim && !actsUnder(current, me, token)) return { kind: 'lost', reason: lostReason(current, me, token) };
  const lease = reclaim ? { ...current, holder: current.releasedBy, releasedBy: null } : current!;
  const steps = { ...pruneSteps(lease.steps, now), [attempt]: now.toISOString() };
  return { kind: 'renew', lease: { ...lease, steps, renewedAt: now.toISOString(), expiresAt: later(lease.expiresAt, now, horizonSeconds) } };
}

/** A step of `me` has ended: it leaves the steps in flight. Null when there is nothing to write. */
export function decideLeaveStep(current: VpgLease | null, me: string, attempt: string): VpgLease | null {
  if (!current || !actsUnder(current, me) || !(attempt in current.steps)) return null;
  const { [attempt]: _gone, ...steps } = current.steps;
  return { ...current, steps };
}

/** The holder frees the lease (token kept, so the next holder's is larger); a delegate only ends its delegation. */
export function decideRelease(current: VpgLease | null, me: string, now: Date): VpgLease | null {
  if (!current) return null;
  if (current.delegate?.executionArn === me) return { ...current, delegate: null, renewedAt: now.toISOString() };
  if (current.holder?.executionArn !== me) return null;
  return { ...current, holder: null, delegate: null, steps: {}, releasedBy: current.holder, renewedAt: now.toISOString(), expiresAt: now.toISOString() };
}

/**
 * A live failback's final sync takes the failback's lease as its delegate: only with the token the failback
 * handed it, while the failback still holds it.
 */
export function decideDelegate(
  current: VpgLease | null,
  grant: { holder: string; token: number },
  me: LeaseParty,
  now: Date,
  horizonSeconds: number,
  states: ReadonlyMap<string, ExecutionState>,
): AcquireDecision {
  if (!current || current.holder?.executionArn !== grant.holder || current.token !== grant.token) {
    const holder = current?.holder ?? { executionArn: grant.holder, kind: 'failback' as const };
    return {
      kind: 'refuse',
      reason: `the lease the failback ${grant.holder} handed over (token ${grant.token}) is no longer its own: ${lostReason(current, grant.holder, grant.token)}`,
      holder,
      until: current?.expiresAt ?? now.toISOString(),
    };
  }
  const other = current.delegate;
  if (other && other.executionArn !== me.executionArn && states.get(other.executionArn) !== 'ended') {
    return { kind: 'refuse', reason: `the failback's final sync ${other.executionArn} is still running`, holder: current.holder, until: current.expiresAt };
  }
  return {
    kind: 'take',
    takeover: null,
    lease: { ...current, delegate: me, renewedAt: now.toISOString(), expiresAt: later(current.expiresAt, now, horizonSeconds) },
  };
}

export type HandOverDecision =
  { readonly kind: 'handed'; readonly lease: VpgLease | null; readonly token: number } | { readonly kind: 'lost'; readonly reason: string };

/**
 * A sync execution `from` hands its part of the lease to its continuation `to` (continue-as-new,
 * runtime/core/sync/continue.ts). As holder: `to` becomes the holder with the next token, so any step
 * `from` might still run is refused twice over (its ARN is no longer a party, its token is stale). As a live
 * failback's delegate: `to` becomes the delegate and the token stays the failback's (the failback's own steps
 * carry it), the ARN fences `from`. Already handed to `to` (a retried hand-over): nothing to write.
 */
export function decideHandOver(current: VpgLease | null, from: string, token: number, to: LeaseParty, now: Date, horizonSeconds: number): HandOverDecision {
  if (current && (current.holder?.executionArn === to.executionArn || current.delegate?.executionArn === to.executionArn)) {
    return { kind: 'handed', lease: null, token: current.token };
  }
  if (!actsUnder(current, from, token)) return { kind: 'lost', reason: lostReason(current, from, token) };
  const renewed = { renewedAt: now.toISOString(), expiresAt: later(current!.expiresAt, now, horizonSeconds) };
  if (current!.delegate?.executionArn === from) return { kind: 'handed', lease: { ...current!, ...renewed, delegate: to }, token: current!.token };
  return {
    kind: 'handed',
    lease: { ...current!, ...renewed, holder: to, token: current!.token + 1, acquiredAt: now.toISOString() },
    token: current!.token + 1,
  };
}

function pruneSteps(steps: Readonly<Record<string, string>>, now: Date): Record<string, string> {
  const bound = secondsMs(STEP_MAX_SECONDS + LEASE_MARGIN_SECONDS);
  return Object.fromEntries(Object.entries(steps).filter(([, started]) => now.getTime() - Date.parse(started) < bound));
}

function lostReason(current: VpgLease | null, me: string, token: number | undefined): string {
  if (!current) return 'there is no lease object';
  if (token !== undefined && current.token !== token) return `the lease's token is ${current.token}, not ${token}: another execution took it`;
  if (!current.holder) return 'the lease is free: it was released or taken and released since';
  return `it is held by ${describeParty(current.holder)}`;
}

/** Parse a stored lease, refusing anything malformed (a damaged lease object is an error, never "free"). */
export function parseLease(value: unknown, vpg: string): VpgLease {
  const v = value as Partial<VpgLease> | null;
  const party = (p: unknown): boolean =>
    p === null ||
    (typeof p === 'object' && typeof (p as LeaseParty).executionArn === 'string' && (LEASE_KINDS as readonly string[]).includes((p as LeaseParty).kind));
  const ok =
    !!v &&
    v.format === 1 &&
    v.vpg === vpg &&
    Number.isSafeInteger(v.token) &&
    (v.token as number) >= 1 &&
    party(v.holder) &&
    party(v.delegate ?? null) &&
    typeof v.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(v.expiresAt)) &&
    typeof v.steps === 'object' &&
    v.steps !== null;
  if (!ok) throw new Error(`the lease object of VPG ${vpg} is malformed: ${JSON.stringify(value).slice(0, 200)}`);
  return { ...(v as VpgLease), delegate: v.delegate ?? null };
}

/** The VPG lease's decisions (pure) and its read-decide-conditional-write loop over an in-memory store with S3's semantics. */
import { acquireLease, delegateLease, enterStep, LeaseLost, leaveStep, releaseLease, type LeaseDeps } from '../../runtime/core/lease/lease-guard';
import {
  decideAcquire,
  decideDelegate,
  decideEnterStep,
  decideRelease,
  parseLease,
  STEP_MAX_SECONDS,
  type ExecutionState,
  type LeaseParty,
  type VpgLease,
} from '../../runtime/core/lease/vpg-lease';
import { FakeClock, MemoryLog } from '../steps/fakes';
import { MemoryCoordination } from '../steps/memory-coordination';

const A = { executionArn: 'arn:exec:sync:a', kind: 'sync' as const };
const B = { executionArn: 'arn:exec:sync:b', kind: 'sync' as const };
const F = { executionArn: 'arn:exec:failback:f', kind: 'failback' as const };
const NOW = new Date('2026-11-25T12:00:00Z');
const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);
const states = (entries: Array<[string, ExecutionState]> = []) => new Map(entries);

function held(by: LeaseParty = A, extra: Partial<VpgLease> = {}): VpgLease {
  const d = decideAcquire(null, by, 'web', NOW, 1200, states());
  if (d.kind !== 'take') throw new Error('set-up');
  return { ...d.lease, ...extra };
}

describe('decideAcquire', () => {
  it('takes a lease that never existed with token 1, and a released one with the next token', () => {
    expect(held()).toMatchObject({ token: 1, holder: A, delegate: null, expiresAt: at(1200).toISOString() });
    const released = decideRelease(held(A, { token: 7 }), A.executionArn, NOW)!;
    expect(released).toMatchObject({ token: 7, holder: null, releasedBy: A });
    expect(decideAcquire(released, B, 'web', NOW, 600, states())).toMatchObject({ kind: 'take', lease: { token: 8, holder: B } });
  });

  it('keeps the lease for its own holder (a retried Begin) with the same token', () => {
    expect(decideAcquire(held(A, { token: 3 }), A, 'web', at(10), 600, states())).toMatchObject({ kind: 'take', lease: { token: 3, holder: A } });
  });

  it('refuses while the holder runs, naming it', () => {
    const d = decideAcquire(held(), B, 'web', at(10), 600, states([[A.executionArn, 'running']]));
    expect(d).toMatchObject({ kind: 'refuse', holder: A });
    expect(d.kind === 'refuse' && d.reason).toBe(`held by sync ${A.executionArn}`);
  });

  it('refuses when Step Functions cannot say whether the holder runs (unknown is never "ended")', () => {
    expect(decideAcquire(held(), B, 'web', at(10), 600, states([[A.executionArn, 'unknown']])).kind).toBe('refuse');
  });

  it('takes over an ended holder at once when none of its steps is in flight', () => {
    const d = decideAcquire(held(A, { token: 2 }), B, 'web', at(10), 600, states([[A.executionArn, 'ended']]));
    expect(d).toMatchObject({ kind: 'take', lease: { token: 3, holder: B }, takeover: `sync ${A.executionArn} has ended without releasing it` });
  });

  it("waits for a step an ended holder started (a stopped execution's Lambda runs on) until its timeout has passed", () => {
    const lease = held(A, { steps: { 'compact-1': NOW.toISOString() } });
    const ended = states([[A.executionArn, 'ended']]);
    const early = decideAcquire(lease, B, 'web', at(STEP_MAX_SECONDS - 1), 600, ended);
    expect(early.kind).toBe('refuse');
    expect(early.kind === 'refuse' && early.reason).toMatch(/has ended, but 1 step\(s\) it started may still run until/);
    expect(decideAcquire(lease, B, 'web', at(STEP_MAX_SECONDS + 61), 600, ended).kind).toBe('take');
  });

  it('takes a lease its holder let expire, whatever Step Functions says', () => {
    const d = decideAcquire(held(), B, 'web', at(1201), 600, states([[A.executionArn, 'running']]));
    expect(d).toMatchObject({ kind: 'take', lease: { token: 2, holder: B } });
  });

  it('refuses a sync while a live failback holds the lease, even with its final sync acting for it', () => {
    const lease = { ...held(F), delegate: A };
    const d = decideAcquire(
      lease,
      B,
      'web',
      at(5),
      600,
      states([
        [F.executionArn, 'running'],
        [A.executionArn, 'running'],
      ]),
    );
    expect(d.kind === 'refuse' && d.reason).toBe(`held by live failback ${F.executionArn} (its final sync ${A.executionArn} acting for it)`);
    // the failback ended but its final sync still runs: still refused
    expect(
      decideAcquire(
        lease,
        B,
        'web',
        at(5),
        600,
        states([
          [F.executionArn, 'ended'],
          [A.executionArn, 'running'],
        ]),
      ).kind,
    ).toBe('refuse');
  });
});

describe('steps under the lease', () => {
  it('a step of the holder enters with its token, is recorded, extends the lease; with another token it is lost', () => {
    const lease = held(A, { token: 5 });
    const d = decideEnterStep(lease, A.executionArn, 5, 'attempt-1', at(100), 1200);
    expect(d).toMatchObject({ kind: 'renew', lease: { steps: { 'attempt-1': at(100).toISOString() }, expiresAt: at(1300).toISOString() } });
    expect(decideEnterStep(lease, A.executionArn, 4, 'x', at(100), 1200)).toEqual({
      kind: 'lost',
      reason: "the lease's token is 5, not 4: another execution took it",
    });
    expect(decideEnterStep(lease, B.executionArn, undefined, 'x', at(100), 1200)).toEqual({ kind: 'lost', reason: `it is held by sync ${A.executionArn}` });
  });

  it('never shortens the lease', () => {
    const lease = held(A);
    const d = decideEnterStep(lease, A.executionArn, 1, 'a', at(10), 60);
    expect(d.kind === 'renew' && d.lease.expiresAt).toBe(lease.expiresAt);
  });

  it('a step retried after its own execution released the lease takes it back, if nobody held it since', () => {
    const released = decideRelease(held(A, { token: 2 }), A.executionArn, NOW)!;
    expect(decideEnterStep(released, A.executionArn, 2, 'retry', at(1), 600)).toMatchObject({ kind: 'renew', lease: { holder: A, token: 2 } });
    const taken = decideAcquire(released, B, 'web', at(1), 600, states());
    if (taken.kind !== 'take') throw new Error('set-up');
    expect(decideEnterStep(taken.lease, A.executionArn, 2, 'retry', at(2), 600).kind).toBe('lost');
  });

  it("a delegate acts under the failback's lease only with the token it was handed, while the failback holds it", () => {
    const lease = held(F, { token: 9 });
    const d = decideDelegate(lease, { holder: F.executionArn, token: 9 }, A, at(1), 600, states());
    expect(d).toMatchObject({ kind: 'take', lease: { holder: F, delegate: A, token: 9 } });
    expect(decideDelegate(lease, { holder: F.executionArn, token: 8 }, A, at(1), 600, states()).kind).toBe('refuse');
    expect(decideDelegate(held(B), { holder: F.executionArn, token: 1 }, A, at(1), 600, states()).kind).toBe('refuse');
    if (d.kind !== 'take') throw new Error('set-up');
    expect(decideEnterStep(d.lease, A.executionArn, 9, 's', at(2), 600).kind).toBe('renew');
    // the delegate ends its delegation; the failback keeps the lease
    expect(decideRelease(d.lease, A.executionArn, at(3))).toMatchObject({ holder: F, delegate: null, token: 9 });
  });

  it('refuses a malformed lease object rather than treating it as free', () => {
    expect(() => parseLease({ format: 1, vpg: 'web', token: 'x' }, 'web')).toThrow(/lease object of VPG web is malformed/);
    expect(() => parseLease({ ...held(), vpg: 'db' }, 'web')).toThrow(/malformed/);
  });
});

describe('the lease over a store with conditional writes', () => {
  function deps(store: MemoryCoordination, clock: FakeClock, running: Set<string>): LeaseDeps {
    return {
      lease: store,
      executions: { state: async (arn) => (running.has(arn) ? 'running' : 'ended') },
      now: clock.now,
      sleep: async () => undefined,
      log: new MemoryLog(),
    };
  }

  it('two syncs that start together: exactly one takes the lease (S3 evaluates the conditions, not us)', async () => {
    const store = new MemoryCoordination();
    const d = deps(store, new FakeClock(NOW.getTime()), new Set([A.executionArn, B.executionArn]));
    const [a, b] = await Promise.all([acquireLease(d, 'web', A, 600), acquireLease(d, 'web', B, 600)]);
    expect([a.held, b.held].filter(Boolean)).toHaveLength(1);
    expect(store.lost).toBeGreaterThanOrEqual(1);
    const winner = a.held ? A : B;
    expect(store.lease('web')).toMatchObject({ token: 1, holder: winner });
  });

  it('concurrent steps of one holder all get recorded (a lost conditional write is retried)', async () => {
    const store = new MemoryCoordination();
    const d = deps(store, new FakeClock(NOW.getTime()), new Set([A.executionArn]));
    await acquireLease(d, 'web', A, 600);
    await Promise.all(['z0', 'z1', 'z2', 'z3'].map((id) => enterStep(d, 'web', A.executionArn, 1, id, 600)));
    expect(Object.keys(store.lease('web')!.steps).sort()).toEqual(['z0', 'z1', 'z2', 'z3']);
    await Promise.all(['z0', 'z1', 'z2', 'z3'].map((id) => leaveStep(d, 'web', A.executionArn, id)));
    expect(store.lease('web')!.steps).toEqual({});
  });

  it("a step that lost the lease gets LeaseLost and writes nothing; a release never frees another holder's lease", async () => {
    const store = new MemoryCoordination();
    const running = new Set([B.executionArn]);
    const d = deps(store, new FakeClock(NOW.getTime()), running);
    await acquireLease(d, 'web', A, 600); // A then ends without releasing
    expect((await acquireLease(d, 'web', B, 600)).held).toBe(true);
    const before = store.lease('web');
    await expect(enterStep(d, 'web', A.executionArn, 1, 'late', 600)).rejects.toBeInstanceOf(LeaseLost);
    expect(await releaseLease(d, 'web', A.executionArn)).toBe(false);
    expect(store.lease('web')).toEqual(before);
  });

  it("a final sync takes the failback's lease as delegate; a scheduled sync meanwhile is refused", async () => {
    const store = new MemoryCoordination();
    const running = new Set([F.executionArn, A.executionArn, B.executionArn]);
    const d = deps(store, new FakeClock(NOW.getTime()), running);
    const failback = await acquireLease(d, 'web', F, 600);
    if (!failback.held) throw new Error('set-up');
    expect((await delegateLease(d, 'web', { holder: F.executionArn, token: failback.token }, A, 600)).held).toBe(true);
    expect((await acquireLease(d, 'web', B, 600)).held).toBe(false);
    expect(await releaseLease(d, 'web', A.executionArn)).toBe(true);
    expect(store.lease('web')).toMatchObject({ holder: F, delegate: null });
  });
});

/**
 * The journal run's lease, decided on plain data: a journal party is parsed, named and refused like any other, takes
 * the lease from a party that has ended, and is one the sweeper need not ask about; Begin's outcome is a skip
 * naming the holder, never a failure; a journal step acts under the token its Begin took.
 */
import { decideAcquire, decideEnterStep, decideRelease, ownsWorkResources, parseLease, type ExecutionState } from '../../runtime/core/lease/vpg-lease';
import { journalBeginOutcome, journalExecutionTimeoutSeconds } from '../../runtime/core/journal/journal-run';
import { journalLeaseUse } from '../../runtime/handlers/lease-step';

const SYNC = { executionArn: 'arn:aws:states:us-east-1:1:execution:lifeboat-s-web-sync:s1', kind: 'sync' as const };
const JOURNAL = { executionArn: 'arn:aws:states:eu-west-1:1:execution:lifeboat-s-web-journal:j1', kind: 'journal' as const };
const FAILBACK = { executionArn: 'arn:aws:states:eu-west-1:1:execution:lifeboat-s-web-failback:f1', kind: 'failback' as const };
const NOW = new Date('2026-12-01T12:00:00Z');
const at = (s: number) => new Date(NOW.getTime() + s * 1000);
const states = (entries: Array<[string, ExecutionState]> = []) => new Map(entries);

function heldBy(party: typeof SYNC | typeof JOURNAL | typeof FAILBACK) {
  const d = decideAcquire(null, party, 'web', NOW, 1200, states());
  if (d.kind !== 'take') throw new Error('set-up');
  return d.lease;
}

describe('a journal party of the lease', () => {
  it('is parsed back as it was written, and an unknown kind is still refused as malformed', () => {
    const lease = heldBy(JOURNAL);
    expect(parseLease(JSON.parse(JSON.stringify(lease)), 'web').holder).toEqual(JOURNAL);
    expect(() => parseLease({ ...lease, holder: { executionArn: 'x', kind: 'compactor' } }, 'web')).toThrow(/malformed/);
  });

  it('is refused while a sync holds the lease and runs, naming the sync', () => {
    const d = decideAcquire(heldBy(SYNC), JOURNAL, 'web', at(30), 1200, states([[SYNC.executionArn, 'running']]));
    expect(d).toMatchObject({ kind: 'refuse', holder: SYNC, reason: `held by sync ${SYNC.executionArn}` });
  });

  it('is refused while the holder cannot be asked (its region down: unknown), until the lease expires, then takes it', () => {
    const lease = heldBy(SYNC);
    expect(decideAcquire(lease, JOURNAL, 'web', at(30), 1200, states([[SYNC.executionArn, 'unknown']]))).toMatchObject({ kind: 'refuse' });
    expect(decideAcquire(lease, JOURNAL, 'web', at(1201), 1200, states())).toMatchObject({
      kind: 'take',
      lease: { token: 2, holder: JOURNAL },
      takeover: expect.stringMatching(/let it expire/),
    });
  });

  it('takes over a sync that ended without releasing it, with the next token, once none of its steps can still run', () => {
    const d = decideAcquire(heldBy(SYNC), JOURNAL, 'web', at(30), 1200, states([[SYNC.executionArn, 'ended']]));
    expect(d).toMatchObject({ kind: 'take', lease: { token: 2, holder: JOURNAL }, takeover: `sync ${SYNC.executionArn} has ended without releasing it` });
  });

  it('is named as a journal compaction to the sync and the live failback it turns away', () => {
    for (const me of [SYNC, FAILBACK]) {
      const d = decideAcquire(heldBy(JOURNAL), me, 'web', at(30), 1200, states([[JOURNAL.executionArn, 'running']]));
      expect(d).toMatchObject({ kind: 'refuse', reason: `held by journal compaction ${JOURNAL.executionArn}` });
    }
  });

  it('fences its own steps: a step with a stale token, or after another party took the lease, is lost', () => {
    const lease = heldBy(JOURNAL);
    expect(decideEnterStep(lease, JOURNAL.executionArn, 1, 'a1', at(5), 1200).kind).toBe('renew');
    expect(decideEnterStep(lease, JOURNAL.executionArn, 2, 'a1', at(5), 1200)).toMatchObject({ kind: 'lost' });
    const released = decideRelease(lease, JOURNAL.executionArn, at(10))!;
    const taken = decideAcquire(released, SYNC, 'web', at(11), 1200, states());
    if (taken.kind !== 'take') throw new Error('set-up');
    expect(decideEnterStep(taken.lease, JOURNAL.executionArn, 1, 'a2', at(12), 1200)).toMatchObject({ kind: 'lost' });
  });

  it('owns nothing the sweeper keeps; syncs and failbacks do', () => {
    expect([SYNC, FAILBACK, JOURNAL].map(ownsWorkResources)).toEqual([true, true, false]);
  });
});

describe("the journal run's Begin and steps", () => {
  it('skips with the reason and the time the lease is held until, or goes on with the token', () => {
    expect(journalBeginOutcome('web', { held: true, token: 4, takeover: null })).toEqual({ skipped: false, lease: { token: 4 } });
    expect(journalBeginOutcome('web', { held: false, reason: `held by sync ${SYNC.executionArn}`, holder: SYNC, until: at(600).toISOString() })).toEqual({
      skipped: true,
      reason: `skipped: the lease of VPG web is taken: held by sync ${SYNC.executionArn} (until ${at(600).toISOString()} at the latest); the next journal run compacts`,
    });
  });

  it('acts under the token Begin took, and not at all after a skip', () => {
    const base = { vpg: { name: 'web', pollSeconds: 5 }, executionId: JOURNAL.executionArn };
    expect(journalLeaseUse({ ...base, begin: { skipped: false, lease: { token: 3 } } })).toEqual({
      vpg: 'web',
      executionArn: JOURNAL.executionArn,
      token: 3,
      pollSeconds: 5,
    });
    expect(journalLeaseUse({ ...base, begin: { skipped: true, reason: 'x' } })).toBeUndefined();
    expect(journalLeaseUse(base)).toBeUndefined();
  });

  it('times out after its three steps at their longest with retries', () => {
    expect(journalExecutionTimeoutSeconds(360)).toBe(2880);
  });
});

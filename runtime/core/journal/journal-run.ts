/**
 * The journal run's steps (lib/journal-state-machine.ts): a split site compacts its journal in the recovery site,
 * under the VPG's lease like every writer, as a party of its own kind ('journal'). A lease held by anyone else (a
 * sync, a live failback, an earlier journal run still going) means "not now": the run succeeds, skipped, and the
 * next scheduled one compacts. Taking over a party that has ended follows the lease's rules (runtime/core/lease/vpg-lease.ts).
 */
import { acquireLease, releaseLease, type AcquireResult } from '../lease/lease-guard';
import { leaseHorizonSeconds } from '../lease/vpg-lease';
import { maxWaitSeconds } from '../workers/wait-policy';
import { compactJournal } from '../sync/compact-journal';
import type { CompactJournalOutput } from '../store/journal';
import type { StepDepsWith } from '../sync/deps';
import type { JournalBeginOutput, JournalCompactInput, JournalInput, JournalReleaseInput, JournalReleaseOutput } from './contract';

/** What Begin makes of the lease it asked for: held (with its token), or a skip naming who holds it. */
export function journalBeginOutcome(vpg: string, result: AcquireResult): JournalBeginOutput {
  if (result.held) return { skipped: false, lease: { token: result.token } };
  return {
    skipped: true,
    reason: `skipped: the lease of VPG ${vpg} is taken: ${result.reason} (until ${result.until} at the latest); the next journal run compacts`,
  };
}

export async function beginJournal(input: JournalInput, deps: StepDepsWith<'lease' | 'executions'>): Promise<JournalBeginOutput> {
  const me = { executionArn: input.executionId, kind: 'journal' as const };
  const result = await acquireLease(deps, input.vpg.name, me, leaseHorizonSeconds(maxWaitSeconds(input.vpg.pollSeconds)));
  const out = journalBeginOutcome(input.vpg.name, result);
  if (out.skipped) deps.log.info(out.reason!, { holder: result.held ? undefined : result.holder.executionArn });
  else deps.log.info('journal run holds the VPG lease', { leaseToken: out.lease!.token });
  return out;
}

/** The same compaction a whole site's sync runs after its commit; the step wrapper has proved the lease first. */
export async function compactUnderLease(input: JournalCompactInput, deps: StepDepsWith<'store' | 'readers' | 'lease'>): Promise<CompactJournalOutput> {
  return compactJournal(input, deps);
}

/** Frees the lease (after a compaction, or after its failure); false when this run no longer held it. */
export async function releaseJournal(input: JournalReleaseInput, deps: StepDepsWith<'lease'>): Promise<JournalReleaseOutput> {
  const released = await releaseLease(deps, input.vpg.name, input.executionId);
  if (input.error) deps.log.warn('journal compaction failed; the lease is released', { error: input.error.Cause ?? input.error.Error, released });
  return { released };
}

/** The journal run's Lambda steps on any path: Begin, CompactJournal, and Release or ReleaseAfterFailure. */
const JOURNAL_FIXED_STEPS = 3;

/**
 * A journal execution's TimeoutSeconds: its steps at their timeout with their retries, as the sync counts its fixed
 * steps (sync/history-budget.ts). It has no loop, so this only stops a run that is stuck; no Catch runs then, and
 * the lease it holds expires by its horizon. Default 6-minute steps: 48 minutes.
 */
export function journalExecutionTimeoutSeconds(stepTimeoutSeconds: number, retrySeconds = 600): number {
  return JOURNAL_FIXED_STEPS * (stepTimeoutSeconds + retrySeconds);
}

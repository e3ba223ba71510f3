/**
 * The contract between the journal state machine (lib/journal-state-machine.ts) and its Lambda steps: a split
 * site's journal compaction, run in the recovery site so that no role of the protected side may delete a
 * checkpoint or a pack (docs/security.md). State names, payload paths and payload types live here once.
 *
 * Flow (JSONPath; every Lambda task retries throttling and crashes):
 *   Init (Pass: {vpg: <VpgRuntime literal>, executionId, stateMachineArn, startedAt})
 *   → Begin          ($.begin)    takes the VPG's lease as a 'journal' party; held by anyone else → Skipped (Succeed)
 *   → CompactJournal ($.journal)  runtime/core/sync/compact-journal.ts under the lease (proved, with its token, first)
 *   → Release        ($.release)  frees the lease → Compacted
 * A failed compaction (Catch States.ALL, $.error) → ReleaseAfterFailure → JournalFailed (cause from $.error.Cause).
 */
import type * as z from 'zod';
import { pathsIn, resultPathIn, type Payload } from '../json-path';
import type { CompactJournalOutput } from '../store/journal';
import type { caughtErrorSchema } from '../sync/schemas';
import type { journalBeginOutputSchema, journalCompactInputSchema, journalInputSchema, journalReleaseInputSchema, journalReleaseOutputSchema } from './schemas';

export const JOURNAL_STATE = {
  init: 'Init',
  begin: 'Begin',
  /** Choice after Begin: $.begin.skipped → Skipped, else CompactJournal. */
  compactOrSkip: 'CompactOrSkip',
  skipped: 'Skipped',
  compact: 'CompactJournal',
  release: 'Release',
  releaseAfterFailure: 'ReleaseAfterFailure',
  failed: 'JournalFailed',
  succeeded: 'Compacted',
} as const;

/** One Lambda function per step, `runtime/handlers/<step>-handler.ts`. */
export const JOURNAL_STEPS = ['journal-begin', 'journal-compact', 'journal-release'] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

export type JournalInput = Payload<z.output<typeof journalInputSchema>>;
export type JournalBeginOutput = Payload<z.output<typeof journalBeginOutputSchema>>;
export type JournalCompactInput = Payload<z.output<typeof journalCompactInputSchema>>;
export type JournalReleaseInput = Payload<z.output<typeof journalReleaseInputSchema>>;
export type JournalReleaseOutput = Payload<z.output<typeof journalReleaseOutputSchema>>;
type CaughtError = Payload<z.output<typeof caughtErrorSchema>>;

/** The execution's state as it grows: the Init fields, then each step's result under its key. */
export interface JournalState extends JournalInput {
  readonly begin?: JournalBeginOutput;
  readonly journal?: CompactJournalOutput;
  readonly release?: JournalReleaseOutput;
  readonly error?: CaughtError;
}

/** Paths into the journal run's state, checked against JournalState: `journalPath('$.begin.skipped')`. */
export const journalPath = pathsIn<JournalState>();
/** A task's ResultPath: `journalResult('begin')` is `'$.begin'`. */
export const journalResult = resultPathIn<JournalState>();

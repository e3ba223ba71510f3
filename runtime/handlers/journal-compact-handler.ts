/** The journal run's CompactJournal: the sync's compaction, under the lease the run's Begin took (proved first). */
import { compactUnderLease } from '../core/journal/journal-run';
import { journalCompactInputSchema } from '../core/journal/schemas';
import { s3Ports } from './s3-ports';
import { defineJournalStep } from './journal-step-runtime';

export const journalCompactStep = defineJournalStep('journal-compact', journalCompactInputSchema, compactUnderLease, {
  lease: 'required',
  ports: s3Ports,
});
export const handler = journalCompactStep.handler;

/** The journal run's Release: free the VPG's lease, after the compaction or after its failure. */
import { releaseJournal } from '../core/journal/journal-run';
import { journalReleaseInputSchema } from '../core/journal/schemas';
import { s3Ports } from './s3-ports';
import { defineJournalStep } from './journal-step-runtime';

export const journalReleaseStep = defineJournalStep('journal-release', journalReleaseInputSchema, releaseJournal, {
  ports: (env) => ({ lease: s3Ports(env).lease }),
});
export const handler = journalReleaseStep.handler;

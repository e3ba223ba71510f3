/** CompactJournal: drop checkpoints older than the VPG's journal retention (after Commit, before Cleanup). */
import { compactJournal, compactJournalInputSchema } from '../core/sync/compact-journal';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const compactJournalStep = defineStep('compact-journal', compactJournalInputSchema, compactJournal, {
  lease: 'required',
  ports: s3Ports,
});
export const handler = compactJournalStep.handler;

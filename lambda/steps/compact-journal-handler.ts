/** CompactJournal: drop checkpoints older than the VPG's journal retention (after Commit, before Cleanup). */
import { compactJournal, compactJournalInputSchema } from '../core/sync/journal-step';
import { defineStep } from './step-runtime';

export const compactJournalStep = defineStep('compact-journal', compactJournalInputSchema, compactJournal, { lease: 'required' });
export const handler = compactJournalStep.handler;

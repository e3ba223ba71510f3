/** Commit: the checkpoint manifest from the agents' results, written last. */
import { commitSync } from '../core/sync/commit-step';
import { commitInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const commitStep = defineStep('commit', commitInputSchema, commitSync, { lease: 'required' });
export const handler = commitStep.handler;

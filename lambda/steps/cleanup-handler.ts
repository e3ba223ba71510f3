/** Cleanup: the previous generation's snapshots, every zSAT of the VPG, the sync's working files. */
import { cleanupAfterCommit } from '../core/sync/cleanup-steps';
import { cleanupInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const cleanupStep = defineStep('cleanup', cleanupInputSchema, cleanupAfterCommit, { lease: 'required' });
export const handler = cleanupStep.handler;

/** CleanupFailed: delete what the failed sync created, keep bases and checkpoints; never throws. */
import { cleanupAfterFailure } from '../core/sync/cleanup-steps';
import { cleanupFailedInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const cleanupFailedStep = defineStep('cleanup-failed', cleanupFailedInputSchema, cleanupAfterFailure, { lease: 'best-effort' });
export const handler = cleanupFailedStep.handler;

/** CleanupFailed: remove what this failback created; never throws. */
import { cleanupFailedFailback } from '../core/failback/finish-steps';
import { cleanupFailedInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-cleanup', cleanupFailedInputSchema, cleanupFailedFailback, { lease: 'best-effort' });
export const handler = step.handler;

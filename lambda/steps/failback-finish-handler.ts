/** Finish: remove importers, their volumes, the snapshots and the working files; the output. */
import { finishFailback } from '../core/failback/finish-steps';
import { finishInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-finish', finishInputSchema, finishFailback, { lease: 'required' });
export const handler = step.handler;

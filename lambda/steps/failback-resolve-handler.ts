/** Resolve: validate the failback request and pick its checkpoint (test mode). */
import { resolveFailback } from '../core/failback/resolve-steps';
import { resolveInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-resolve', resolveInputSchema, resolveFailback);
export const handler = step.handler;

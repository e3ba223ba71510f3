/** FinalSync (live mode): start the VPG's sync once none runs, follow it to its checkpoint. */
import { runFinalSync } from '../core/failback/live-steps';
import { finalSyncInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-final-sync', finalSyncInputSchema, runFinalSync, { lease: 'required' });
export const handler = step.handler;

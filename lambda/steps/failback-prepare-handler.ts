/** Prepare: group the checkpoint's volumes into importers and write their ImportJobs. */
import { prepareImport } from '../core/failback/resolve-steps';
import { prepareInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-prepare', prepareInputSchema, prepareImport, { lease: 'required' });
export const handler = step.handler;

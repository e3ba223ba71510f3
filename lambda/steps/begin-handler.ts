/** Begin: the VPG's lock, its protected volumes and their bases, the sync id. */
import { begin } from '../core/sync/begin-step';
import { syncInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const beginStep = defineStep('begin', syncInputSchema, begin);
export const handler = beginStep.handler;

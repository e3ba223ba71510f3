/** StopSources (live mode): stop the protected instances; 'stopped' once all are. */
import { stopSources } from '../core/failback/live-steps';
import { stopSourcesInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-stop', stopSourcesInputSchema, stopSources);
export const handler = step.handler;

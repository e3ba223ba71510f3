/** LaunchRecovered: the recovered VMs, one at a time in boot order, from the snapshots. */
import { launchRecovered } from '../core/failback/recovered-steps';
import { launchInputSchema } from '../core/failback/failback-schemas';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-launch', launchInputSchema, launchRecovered, { lease: 'required' });
export const handler = step.handler;

/** FinalSync (live mode): start the VPG's sync once none runs, follow it to its checkpoint. */
import { runFinalSync } from '../core/failback/live';
import { finalSyncInputSchema } from '../core/failback/schemas';
import { StepFunctionsSyncRuns } from '../aws/sfn-sync-runs';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-final-sync', finalSyncInputSchema, runFinalSync, {
  lease: 'required',
  ports: (env) => ({ syncRuns: new StepFunctionsSyncRuns(), ...s3Ports(env) }),
});
export const handler = step.handler;

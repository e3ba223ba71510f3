/** CleanupFailed: delete what the failed sync created, keep bases and checkpoints; never throws. */
import { cleanupAfterFailure } from '../core/sync/cleanup';
import { cleanupFailedInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const cleanupFailedStep = defineStep('cleanup-failed', cleanupFailedInputSchema, cleanupAfterFailure, {
  lease: 'best-effort',
  ports: (env) => ({ ec2: new Ec2Adapter(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = cleanupFailedStep.handler;

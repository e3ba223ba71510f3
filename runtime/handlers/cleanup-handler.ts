/** Cleanup: the previous generation's snapshots, every zSAT of the VPG, the sync's working files. */
import { cleanupAfterCommit } from '../core/sync/cleanup';
import { cleanupInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const cleanupStep = defineStep('cleanup', cleanupInputSchema, cleanupAfterCommit, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = cleanupStep.handler;

/** Begin: the VPG's lock, its protected volumes and their bases, the sync id. */
import { begin } from '../core/sync/begin';
import { syncInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const beginStep = defineStep('begin', syncInputSchema, begin, {
  ports: (env) => ({ ec2: new Ec2Adapter(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = beginStep.handler;

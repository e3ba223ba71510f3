/** Resolve: validate the failback request and pick its checkpoint (test mode). */
import { resolveFailback } from '../core/failback/resolve';
import { resolveInputSchema } from '../core/failback/schemas';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-resolve', resolveInputSchema, resolveFailback, {
  ports: (env) => ({ recovery: new Ec2Recovery(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = step.handler;

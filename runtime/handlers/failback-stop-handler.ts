/** StopSources (live mode): stop the protected instances; 'stopped' once all are. */
import { stopSources } from '../core/failback/live';
import { stopSourcesInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-stop', stopSourcesInputSchema, stopSources, {
  ports: (env) => ({ ec2: new Ec2Adapter(), recovery: new Ec2Recovery(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = step.handler;

/** StopSources (live mode): stop the protected instances, in the protected region; 'stopped' once all are. */
import { stopSources } from '../core/failback/live';
import { stopSourcesInputSchema } from '../core/failback/schemas';
import { Ec2Adapter, makeEc2Client } from '../aws/ec2-adapter';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-stop', stopSourcesInputSchema, stopSources, {
  ports: (env) => {
    // a recovery site in another region stops the sources where they run (STEP_ENV.protectedRegion)
    const sources = makeEc2Client(env.protectedRegion ? { region: env.protectedRegion } : {});
    return { ec2: new Ec2Adapter(sources), recovery: new Ec2Recovery(sources), executions: new StepFunctionsExecutions(), ...s3Ports(env) };
  },
});
export const handler = step.handler;

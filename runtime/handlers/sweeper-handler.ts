/** The site sweeper (scheduled): deletes leaked Lifeboat resources past their grace period; see runtime/core/cleanup/sweeper-run.ts. */
import { parseSweeperEnv, type SweeperEnv } from '../core/step-env';
import { runSweep, sweeperInputSchema, type SweeperDeps } from '../core/cleanup/sweeper-run';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

let env: SweeperEnv | undefined;

/** What the sweeper watches comes from its environment, validated at the first invocation (never from the event). */
export function sweeperStepWith(watch: () => SweeperEnv) {
  return defineStep('sweeper', sweeperInputSchema, (input, deps: SweeperDeps) => runSweep(input, deps, watch()), {
    ports: (env) => ({ ec2: new Ec2Adapter(), executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
  });
}

export const sweeperStep = sweeperStepWith(() => (env ??= parseSweeperEnv(process.env)));
export const handler = sweeperStep.handler;

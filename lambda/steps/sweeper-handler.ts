/** The site sweeper (scheduled): deletes leaked Lifeboat resources past their grace period; see lambda/core/sweeper-run.ts. */
import { parseSweeperEnv, type SweeperEnv } from '../core/step-env';
import { runSweep, sweeperInputSchema } from '../core/sweeper-run';
import { defineStep } from './step-runtime';

let env: SweeperEnv | undefined;

/** What the sweeper watches comes from its environment, validated at the first invocation (never from the event). */
export function sweeperStepWith(watch: () => SweeperEnv) {
  return defineStep('sweeper', sweeperInputSchema, (input, deps) => runSweep(input, deps, watch()));
}

export const sweeperStep = sweeperStepWith(() => (env ??= parseSweeperEnv(process.env)));
export const handler = sweeperStep.handler;

/** The site sweeper (scheduled): deletes leaked Lifeboat resources past their grace period; see lambda/core/sweeper-run.ts. */
import { runSweep, sweeperInputSchema } from '../core/sweeper-run';
import { defineStep } from './step-runtime';

export const sweeperStep = defineStep('sweeper', sweeperInputSchema, runSweep);
export const handler = sweeperStep.handler;

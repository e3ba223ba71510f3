/** PollZsat: attach ready volumes, read the agent's progress, fail on a stale heartbeat or an agent error. */
import { pollZsat } from '../core/sync/zsat-steps';
import { pollZsatInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const pollZsatStep = defineStep('poll-zsat', pollZsatInputSchema, pollZsat, { lease: 'required' });
export const handler = pollZsatStep.handler;

/** PollZsat: attach ready volumes, read the agent's progress, fail on a stale heartbeat or an agent error. */
import { pollZsat } from '../core/sync/zsats';
import { pollZsatInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const pollZsatStep = defineStep('poll-zsat', pollZsatInputSchema, pollZsat, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = pollZsatStep.handler;

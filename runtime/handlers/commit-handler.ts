/** Commit: the checkpoint manifest from the agents' results, written last. */
import { commitSync } from '../core/sync/commit';
import { commitInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const commitStep = defineStep('commit', commitInputSchema, commitSync, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = commitStep.handler;

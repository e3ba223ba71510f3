/** Finish: remove importers, their volumes, the snapshots and the working files; the output. */
import { finishFailback } from '../core/failback/finish';
import { finishInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-finish', finishInputSchema, finishFailback, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = step.handler;

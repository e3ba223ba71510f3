/** CleanupFailed: remove what this failback created; never throws. */
import { cleanupFailedFailback } from '../core/failback/finish';
import { cleanupFailedInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { Ec2Images } from '../aws/ec2-images';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-cleanup-failed', cleanupFailedInputSchema, cleanupFailedFailback, {
  lease: 'best-effort',
  ports: (env) => ({ ec2: new Ec2Adapter(), images: new Ec2Images(), ...s3Ports(env) }),
});
export const handler = step.handler;

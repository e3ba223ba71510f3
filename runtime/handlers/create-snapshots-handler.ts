/** CreateSnapshots: one crash-consistent, tagged snapshot set per protected instance (idempotent on retry). */
import { createSnapshots } from '../core/sync/snapshots';
import { createSnapshotsInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const createSnapshotsStep = defineStep('create-snapshots', createSnapshotsInputSchema, createSnapshots, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = createSnapshotsStep.handler;

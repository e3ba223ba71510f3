/** CheckSnapshots: ready when every snapshot is completed; an errored snapshot fails the sync. */
import { checkSnapshots } from '../core/sync/snapshots';
import { checkSnapshotsInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const checkSnapshotsStep = defineStep('check-snapshots', checkSnapshotsInputSchema, checkSnapshots, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = checkSnapshotsStep.handler;

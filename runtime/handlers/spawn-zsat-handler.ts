/** SpawnZsat (one Map iteration): zSAT volumes from the new snapshots and the zSAT instance. */
import { spawnZsat } from '../core/sync/zsats';
import { spawnZsatInputSchema } from '../core/sync/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const spawnZsatStep = defineStep('spawn-zsat', spawnZsatInputSchema, spawnZsat, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), ...s3Ports(env) }),
});
export const handler = spawnZsatStep.handler;

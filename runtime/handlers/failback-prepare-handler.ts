/** Prepare: group the checkpoint's volumes into importers and write their ImportJobs. */
import { prepareImport } from '../core/failback/resolve';
import { prepareInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { KmsKeys } from '../aws/kms-keys';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-prepare', prepareInputSchema, prepareImport, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), recovery: new Ec2Recovery(), keys: new KmsKeys(), ...s3Ports(env) }),
});
export const handler = step.handler;

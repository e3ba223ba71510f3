/** Plan: block plans and read jobs in the store, volumes grouped into zSATs, as many at once as the vCPU quota holds. */
import { planSync } from '../core/sync/plan';
import { planInputSchema } from '../core/sync/schemas';
import { EbsDirect } from '../aws/ebs-direct';
import { VcpuCapacity } from '../aws/vcpu-capacity';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const planStep = defineStep('plan', planInputSchema, planSync, {
  lease: 'required',
  ports: (env) => ({ ebs: new EbsDirect(), capacity: new VcpuCapacity(), ...s3Ports(env) }),
});
export const handler = planStep.handler;

/** Plan: block plans and read jobs in the store, volumes grouped into zSATs. */
import { planSync } from '../core/sync/plan-step';
import { planInputSchema } from '../core/sync-schemas';
import { EbsDirect } from '../aws/ebs-direct';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

export const planStep = defineStep('plan', planInputSchema, planSync, {
  lease: 'required',
  ports: (env) => ({ ebs: new EbsDirect(), ...s3Ports(env) }),
});
export const handler = planStep.handler;

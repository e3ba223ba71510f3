/** Plan: block plans and read jobs in the store, volumes grouped into zSATs. */
import { planSync } from '../core/sync/plan-step';
import { planInputSchema } from '../core/sync-schemas';
import { defineStep } from './step-runtime';

export const planStep = defineStep('plan', planInputSchema, planSync, { lease: 'required' });
export const handler = planStep.handler;

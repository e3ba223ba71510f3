/**
 * defineStep for the failback steps: their log lines carry the failback's fields (import id, execution), and a
 * live failback's steps use its lease. Each handler wires its own ports (the recovery adapters among them).
 */
import type { z } from 'zod';
import type { StepBasics } from '../core/sync/step-deps';
import { defineStepOfKind, type LeaseNeeds, type StepDefinition, type StepKind, type StepOptions } from './step-runtime';
import { failbackLeaseUse, type LeasePolicy } from './lease-step';

const FAILBACK_KIND: StepKind = {
  logContext: (step, _event, input) => {
    const i = input as { vpg?: { name?: string }; executionId?: string; importId?: string; resolve?: { importId?: string } };
    return { step, vpg: i.vpg?.name, execution: i.executionId, importId: i.importId ?? i.resolve?.importId };
  },
  leaseUse: failbackLeaseUse,
};

export function defineFailbackStep<S extends z.ZodType, D extends StepBasics, R, L extends LeasePolicy = 'none'>(
  step: string,
  schema: S,
  run: (input: z.output<S>, deps: D) => Promise<R>,
  options: StepOptions<D, L>,
): StepDefinition<D & LeaseNeeds<L>, R> {
  return defineStepOfKind(FAILBACK_KIND, step, schema, run, options);
}

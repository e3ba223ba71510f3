/**
 * defineStep for the failback steps: their log lines carry the failback's fields (import id, execution), and a
 * live failback's steps use its lease. Each handler wires its own ports (the recovery adapters among them).
 */
import { stepDefiner, type StepKind } from './step-runtime';
import { failbackLeaseUse } from './lease-step';

const FAILBACK_KIND: StepKind = {
  logContext: (step, _event, input) => {
    const i = input as { vpg?: { name?: string }; executionId?: string; importId?: string; resolve?: { importId?: string } };
    return { step, vpg: i.vpg?.name, execution: i.executionId, importId: i.importId ?? i.resolve?.importId };
  },
  leaseUse: failbackLeaseUse,
};

export const defineFailbackStep = stepDefiner(FAILBACK_KIND);

/**
 * defineStep for the journal run's steps (a split site's compaction in the recovery site): their log lines carry
 * the VPG and the execution, and they use the lease the run's Begin took (runtime/handlers/lease-step.ts).
 */
import { stepDefiner, type StepKind } from './step-runtime';
import { journalLeaseUse } from './lease-step';

const JOURNAL_KIND: StepKind = {
  logContext: (step, _event, input) => {
    const i = input as { vpg?: { name?: string }; executionId?: string };
    return { step, vpg: i.vpg?.name, execution: i.executionId };
  },
  leaseUse: journalLeaseUse,
};

export const defineJournalStep = stepDefiner(JOURNAL_KIND);

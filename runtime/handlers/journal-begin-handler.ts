/** The journal run's Begin: take the VPG's lease as a journal party, or skip this run when someone else holds it. */
import { beginJournal } from '../core/journal/journal-run';
import { journalInputSchema } from '../core/journal/schemas';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineJournalStep } from './journal-step-runtime';

export const journalBeginStep = defineJournalStep('journal-begin', journalInputSchema, beginJournal, {
  ports: (env) => ({ executions: new StepFunctionsExecutions(), lease: s3Ports(env).lease }),
});
export const handler = journalBeginStep.handler;

/** HandOver: a zSAT still reading when this execution's history share is spent → the sync continues as a new execution. */
import { handOver } from '../core/sync/continue';
import { handOverInputSchema } from '../core/sync/schemas';
import { StepFunctionsExecutions } from '../aws/sfn-executions';
import { s3Ports } from './s3-ports';
import { defineStep } from './step-runtime';

// No lease wrapper: the hand-over's own conditional write is the proof (a retry after it finds the lease already
// the continuation's, which the wrapper would refuse as lost).
export const continueSyncStep = defineStep('continue-sync', handOverInputSchema, handOver, {
  ports: (env) => ({ executions: new StepFunctionsExecutions(), ...s3Ports(env) }),
});
export const handler = continueSyncStep.handler;

/**
 * One VPG's failback Lambda steps: one function per FAILBACK_STEPS entry, all with the VPG's failback role
 * (lib/vpg-step-roles.ts), named `lifeboat-<site>-<vpg>-<step>`.
 */
import type { SyncFunctionsProps } from './sync-functions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { FAILBACK_STEPS, type FailbackStep } from '../runtime/core/failback/contract';
import { addStepLambdas, stepEnvironment } from './step-lambdas';
import { FAILBACK_STEP_ROLE } from './vpg-step-roles';
import { vpgStepFunctionName } from '../runtime/core/resource-names';

/** The same as the sync's: the VPG, its step roles (every failback step runs with the failback role), the store, the templates. */
export type FailbackFunctionsProps = SyncFunctionsProps;

export class FailbackFunctions extends Construct {
  readonly functions: Readonly<Record<FailbackStep, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: FailbackFunctionsProps) {
    super(scope, id);
    this.functions = addStepLambdas(this, {
      steps: FAILBACK_STEPS,
      functionName: (step) => vpgStepFunctionName(props.siteId, props.vpgName, step),
      kind: `failback step of VPG ${props.vpgName}`,
      siteId: props.siteId,
      roleOf: (step) => props.roles.of(FAILBACK_STEP_ROLE[step]),
      environment: stepEnvironment(props),
      handlersDir: props.handlersDir,
    });
  }
}

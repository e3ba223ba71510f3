/**
 * One VPG's failback Lambda steps: one function per FAILBACK_STEPS entry, all with the VPG's failback role
 * (lib/vpg-step-roles.ts), named `lifeboat-<site>-<vpg>-<step>`.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FAILBACK_STEPS, type FailbackStep } from '../runtime/core/failback/contract';
import { addStepLambdas, stepEnvironment } from './step-lambdas';
import { FAILBACK_STEP_ROLE, type VpgStepRoles } from './vpg-step-roles';
import type { WorkerLaunchTemplate } from './worker-launch-template';
import { vpgStepFunctionName } from '../runtime/core/resource-names';

export interface FailbackFunctionsProps {
  /** The site id: part of the function names and of their environment. */
  readonly siteId: string;
  /** The VPG these functions serve (LIFEBOAT_VPG). */
  readonly vpgName: string;
  /** The VPG's step roles; every failback step runs with the failback role. */
  readonly roles: VpgStepRoles;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /** @default the stack's region */
  readonly bucketRegion?: string;
  /** The zSAT launch template (the shared step environment names both). */
  readonly zsatTemplate: WorkerLaunchTemplate;
  /** The ZImporter launch template. */
  readonly importerTemplate: WorkerLaunchTemplate;
  /** @default runtime/handlers of this project */
  readonly handlersDir?: string;
}

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

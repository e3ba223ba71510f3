/**
 * One VPG's sync Lambda steps: one function per SYNC_STEPS entry, each running with its kind's role of the VPG
 * (lib/vpg-step-roles.ts: sync, compaction or cleanup), named `lifeboat-<site>-<vpg>-<step>`.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SYNC_STEPS, type SyncStep } from '../runtime/core/sync/contract';
import { addStepLambdas, pascalCase, stepEnvironment } from './step-lambdas';
import { SYNC_STEP_ROLE, type VpgStepRoles } from './vpg-step-roles';
import type { WorkerLaunchTemplate } from './worker-launch-template';
import { vpgStepFunctionName } from '../runtime/core/resource-names';

export interface SyncFunctionsProps {
  /** The site id: part of the function names and of their environment. */
  readonly siteId: string;
  /** The VPG these functions serve (LIFEBOAT_VPG). */
  readonly vpgName: string;
  /** The VPG's step roles; each step runs with its kind's. */
  readonly roles: VpgStepRoles;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /**
   * Region of the replica bucket.
   * @default the stack's region
   */
  readonly bucketRegion?: string;
  /** The zSAT launch template (its name and security group go into the environment). */
  readonly zsatTemplate: WorkerLaunchTemplate;
  /** The ZImporter launch template. */
  readonly importerTemplate: WorkerLaunchTemplate;
  /**
   * Folder holding `<step>-handler.ts` files.
   * @default runtime/handlers of this project
   */
  readonly handlersDir?: string;
}

export { pascalCase };

export class SyncFunctions extends Construct {
  readonly functions: Readonly<Record<SyncStep, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: SyncFunctionsProps) {
    super(scope, id);
    this.functions = addStepLambdas(this, {
      steps: SYNC_STEPS,
      functionName: (step) => vpgStepFunctionName(props.siteId, props.vpgName, step),
      kind: `sync step of VPG ${props.vpgName}`,
      siteId: props.siteId,
      roleOf: (step) => props.roles.of(SYNC_STEP_ROLE[step]),
      environment: stepEnvironment(props),
      handlersDir: props.handlersDir,
    });
  }
}

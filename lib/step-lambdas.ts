/**
 * The one way a VPG's step Lambdas are made, for the sync's steps and the failback's alike: the same
 * environment (STEP_ENV, validated by the handlers at cold start), one function per `<step>-handler.ts`,
 * an explicit name, the role of the step's kind, and a write grant on its own log group only.
 *
 * Every VPG has its own set (its own roles), yet the bundles are built once per step: CDK's AssetStaging
 * caches a bundle by its source and bundling options within one synth, and the VPGs differ only in the
 * function's environment, which is not part of the bundle.
 */
import { resolve } from 'node:path';
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lambdaEnvironment, STEP_ENV, stepEnvSchema } from '../runtime/core/step-env';
import { LifeboatFunction } from './lifeboat-function';
import { pascalCase } from './step-permissions';
import type { WorkerLaunchTemplate } from './worker-launch-template';
import { vpgStepFunctionName, workerLaunchTemplateName } from '../runtime/core/resource-names';

export { pascalCase };

export const DEFAULT_HANDLERS_DIR = resolve(__dirname, '..', 'runtime', 'handlers');

export interface StepEnvironmentProps {
  readonly siteId: string;
  /** The VPG the functions serve (LIFEBOAT_VPG): a step refuses an input of another VPG. */
  readonly vpgName: string;
  readonly bucket: s3.IBucket;
  /** @default the stack's region */
  readonly bucketRegion?: string;
  /** The zSAT template; absent in a split site's recovery half, whose failback steps launch none. */
  readonly zsatTemplate?: WorkerLaunchTemplate;
  /** The ZImporter template; absent on a split site's protected side, whose sync steps launch none. */
  readonly importerTemplate?: WorkerLaunchTemplate;
  /** The protected instances' region, when it is not the functions' own (lib/site-placement.ts). */
  readonly protectedRegion?: string;
}

/** A VPG step function's environment, checked against the steps' schema (runtime/core/step-env.ts): a missing variable fails tsc. */
export function stepEnvironment(props: StepEnvironmentProps): Record<string, string> {
  const { zsatTemplate: zsat, importerTemplate: importer } = props;
  return lambdaEnvironment(stepEnvSchema, {
    [STEP_ENV.siteId]: props.siteId,
    [STEP_ENV.vpg]: props.vpgName,
    [STEP_ENV.bucket]: props.bucket.bucketName,
    [STEP_ENV.bucketRegion]: props.bucketRegion ?? Aws.REGION,
    // the site's zSAT template by its name wherever it is (a failback step never launches from it)
    [STEP_ENV.zsatLaunchTemplate]: zsat?.launchTemplateName ?? workerLaunchTemplateName(props.siteId, 'zsat'),
    [STEP_ENV.importerLaunchTemplate]: importer?.launchTemplateName,
    [STEP_ENV.zsatSecurityGroup]: zsat?.securityGroup.attrGroupId,
    [STEP_ENV.importerSecurityGroup]: importer?.securityGroup.attrGroupId,
    // the subnets of each worker kind, at most one per zone; none: the default VPC's (runtime/core/workers/subnets.ts)
    [STEP_ENV.zsatSubnets]: zsat ? JSON.stringify(zsat.network.subnetIds) : undefined,
    [STEP_ENV.zsatInstanceTypes]: zsat ? JSON.stringify(zsat.instanceTypes) : undefined,
    [STEP_ENV.importerInstanceTypes]: importer ? JSON.stringify(importer.instanceTypes) : undefined,
    [STEP_ENV.importerSubnets]: importer ? JSON.stringify(importer.network.subnetIds) : undefined,
    [STEP_ENV.importerSubnetsKey]: importer?.network.configKey,
    [STEP_ENV.protectedRegion]: props.protectedRegion,
  });
}

export interface StepLambdasOptions<S extends string> {
  readonly steps: readonly S[];
  readonly functionName: (step: S) => string;
  /** e.g. `sync step of VPG web`, for the functions' descriptions. */
  readonly kind: string;
  readonly siteId: string;
  /** The role a step runs with (its kind's role). */
  readonly roleOf: (step: S) => iam.IRole;
  readonly environment: Record<string, string>;
  /** @default runtime/handlers of this project */
  readonly handlersDir?: string;
}

export function addStepLambdas<S extends string>(scope: Construct, opts: StepLambdasOptions<S>): Record<S, lambda.IFunction> {
  const handlersDir = opts.handlersDir ?? DEFAULT_HANDLERS_DIR;
  const functions = {} as Record<S, lambda.IFunction>;
  const logGroups = new Map<iam.IRole, string[]>();
  for (const step of opts.steps) {
    const role = opts.roleOf(step);
    const fn = new LifeboatFunction(scope, pascalCase(step), {
      entry: resolve(handlersDir, `${step}-handler.ts`),
      handler: 'handler',
      functionName: opts.functionName(step),
      description: `Lifeboat ${opts.kind} "${step}" of site ${opts.siteId}`,
      role,
      environment: opts.environment,
    });
    logGroups.set(role, [...(logGroups.get(role) ?? []), fn.logGroup.logGroupArn]);
    functions[step] = fn.fn;
  }
  // Each role writes only to its own steps' log groups: one statement naming them (one grantWrite per function
  // would spend a statement per step of the role's inline policy).
  for (const [role, arns] of logGroups) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'OwnLogGroups', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: arns }));
  }
  return functions;
}

export interface VpgStepFunctionsProps<S extends string> {
  readonly siteId: string;
  readonly vpgName: string;
  /** Which flow's steps (for the functions' descriptions). */
  readonly flow: 'sync' | 'failback' | 'journal';
  /** One function per step (SYNC_STEPS or FAILBACK_STEPS). */
  readonly steps: readonly S[];
  /** The VPG's role a step runs with (lib/vpg-step-roles.ts SYNC_STEP_ROLE, FAILBACK_STEP_ROLE). */
  readonly roleOf: (step: S) => iam.IRole;
  /** The VPG's step environment (stepEnvironment), the same for both flows. */
  readonly environment: Record<string, string>;
  /** @default runtime/handlers of this project */
  readonly handlersDir?: string;
}

/** One VPG's step functions of one flow, named `lifeboat-<site>-<vpg>-<step>`, under a construct of their own. */
export class VpgStepFunctions<S extends string> extends Construct {
  readonly functions: Readonly<Record<S, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: VpgStepFunctionsProps<S>) {
    super(scope, id);
    this.functions = addStepLambdas(this, {
      steps: props.steps,
      functionName: (step) => vpgStepFunctionName(props.siteId, props.vpgName, step),
      kind: `${props.flow} step of VPG ${props.vpgName}`,
      siteId: props.siteId,
      roleOf: props.roleOf,
      environment: props.environment,
      handlersDir: props.handlersDir,
    });
  }
}

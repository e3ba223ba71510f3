/**
 * The one way a site's step Lambdas are made, for the sync's steps and the failback's alike: the same
 * environment (STEP_ENV, validated by the handlers at cold start), one function per `<step>-handler.ts`,
 * an explicit name, the shared role, and a write grant on its own log group only.
 */
import { resolve } from 'node:path';
import { Aws } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { STEP_ENV } from '../lambda/core/sync-contract';
import { LifeboatFunction } from './lifeboat-function';
import type { WorkerLaunchTemplate } from './worker-launch-template';

export const DEFAULT_HANDLERS_DIR = resolve(__dirname, '..', 'lambda', 'steps');

/** `cleanup-failed` → `CleanupFailed` (construct ids). */
export function pascalCase(step: string): string {
  return step.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
}

export interface StepEnvironmentProps {
  readonly siteId: string;
  readonly bucket: s3.IBucket;
  /** @default the stack's region */
  readonly bucketRegion?: string;
  readonly zsatTemplate: WorkerLaunchTemplate;
  readonly importerTemplate: WorkerLaunchTemplate;
  /** @default none: the template's subnet, or a default subnet in the volume's zone */
  readonly subnetId?: string;
}

export function stepEnvironment(props: StepEnvironmentProps): Record<string, string> {
  return {
    [STEP_ENV.siteId]: props.siteId,
    [STEP_ENV.bucket]: props.bucket.bucketName,
    [STEP_ENV.bucketRegion]: props.bucketRegion ?? Aws.REGION,
    [STEP_ENV.zsatLaunchTemplate]: props.zsatTemplate.launchTemplateName,
    [STEP_ENV.importerLaunchTemplate]: props.importerTemplate.launchTemplateName,
    [STEP_ENV.zsatSecurityGroup]: props.zsatTemplate.securityGroup.attrGroupId,
    [STEP_ENV.importerSecurityGroup]: props.importerTemplate.securityGroup.attrGroupId,
    ...(props.subnetId ? { [STEP_ENV.subnetId]: props.subnetId } : {}),
  };
}

export interface StepFunctionsOptions<S extends string> {
  readonly steps: readonly S[];
  readonly functionName: (step: S) => string;
  /** e.g. `sync step` or `failback step`, for the functions' descriptions. */
  readonly kind: string;
  readonly siteId: string;
  readonly role: iam.IRole;
  readonly environment: Record<string, string>;
  /** @default lambda/steps of this project */
  readonly handlersDir?: string;
}

export function addStepFunctions<S extends string>(scope: Construct, opts: StepFunctionsOptions<S>): Record<S, lambda.IFunction> {
  const handlersDir = opts.handlersDir ?? DEFAULT_HANDLERS_DIR;
  const functions = {} as Record<S, lambda.IFunction>;
  for (const step of opts.steps) {
    const fn = new LifeboatFunction(scope, pascalCase(step), {
      entry: resolve(handlersDir, `${step}-handler.ts`),
      handler: 'handler',
      functionName: opts.functionName(step),
      description: `Lifeboat ${opts.kind} "${step}" of site ${opts.siteId}`,
      role: opts.role,
      environment: opts.environment,
    });
    // Write only to its own log group (the role is shared, the grant names each group).
    fn.logGroup.grantWrite(opts.role);
    functions[step] = fn.fn;
  }
  return functions;
}

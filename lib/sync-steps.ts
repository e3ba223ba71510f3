/**
 * The sync's Lambda steps: one function per SYNC_STEPS entry, shared by every VPG of the site, with one role.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SYNC_STEPS, type SyncStep } from '../lambda/core/sync-contract';
import { addStepFunctions, pascalCase, stepEnvironment } from './step-functions';
import { stepPolicyStatements } from './step-permissions';
import type { WorkerLaunchTemplate } from './worker-launch-template';

export interface SyncStepsProps {
  /** The site id: the Owner every IAM condition requires, and part of the function names. */
  readonly siteId: string;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /** The bucket's KMS key, if it has one of ours. */
  readonly bucketKey?: kms.IKey;
  /**
   * Region of the replica bucket.
   * @default the stack's region
   */
  readonly bucketRegion?: string;
  /** The zSAT launch template (the only templates RunInstances may use are these two). */
  readonly zsatTemplate: WorkerLaunchTemplate;
  /** The ZImporter launch template. */
  readonly importerTemplate: WorkerLaunchTemplate;
  /**
   * Subnet for zSATs the steps pass at launch.
   * @default none: the template's subnet, or a default subnet in the volume's zone
   */
  readonly subnetId?: string;
  /**
   * Folder holding `<step>-handler.ts` files.
   * @default lambda/steps of this project
   */
  readonly handlersDir?: string;
}

export { pascalCase };

/** Explicit function names, so the CLI and people can find them: `lifeboat-<site>-<step>` (≤ 64 chars by config rules). */
export function stepFunctionName(siteId: string, step: SyncStep): string {
  return `lifeboat-${siteId}-${step}`;
}

export class SyncSteps extends Construct {
  readonly role: iam.Role;
  readonly functions: Readonly<Record<SyncStep, lambda.IFunction>>;

  constructor(scope: Construct, id: string, props: SyncStepsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifeboat sync steps of site ${props.siteId}`,
    });
    const launchTemplateArns = [props.zsatTemplate, props.importerTemplate].map((t) =>
      stack.formatArn({ service: 'ec2', resource: 'launch-template', resourceName: t.launchTemplate.ref }),
    );
    for (const statement of stepPolicyStatements(stack, { siteId: props.siteId, launchTemplateArns })) this.role.addToPrincipalPolicy(statement);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReplicaStoreObjects',
        // No DeleteObjectVersion: versions are the store's undo history; only lifecycle removes them.
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects('*')],
      }),
    );
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReplicaStoreList', actions: ['s3:ListBucket'], resources: [props.bucket.bucketArn] }));
    props.bucketKey?.grantEncryptDecrypt(this.role);

    this.functions = addStepFunctions(this, {
      steps: SYNC_STEPS,
      functionName: (step) => stepFunctionName(props.siteId, step),
      kind: 'sync step',
      siteId: props.siteId,
      role: this.role,
      environment: stepEnvironment(props),
      handlersDir: props.handlersDir,
    });
  }
}

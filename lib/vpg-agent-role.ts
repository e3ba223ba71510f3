/**
 * The role of one VPG's agents (zSATs and ZImporters): it reaches only `vpgs/<vpg>/` in the replica store,
 * so a compromised worker of one VPG can neither read nor damage another VPG's replica.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

export interface VpgAgentRoleProps {
  /** The site id (in the role's description). */
  readonly siteId: string;
  /** The VPG whose store prefix (`vpgs/<vpgName>/`) is all the role may reach. */
  readonly vpgName: string;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /** The bucket's KMS key, if it has one of ours. */
  readonly bucketKey?: kms.IKey;
  /** The agent bundle the user data downloads. */
  readonly agentBundle: s3assets.Asset;
}

/** The VPG's key prefix in the replica store (agent-job.ts StoreLocation.prefix). */
export function vpgStorePrefix(vpgName: string): string {
  return `vpgs/${vpgName}/`;
}

export class VpgAgentRole extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: VpgAgentRoleProps) {
    super(scope, id);
    const prefix = vpgStorePrefix(props.vpgName);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Lifeboat agents of VPG ${props.vpgName} (site ${props.siteId}): store prefix ${prefix} only`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'VpgObjectsOnly',
        // Agents write packs, progress and results, and read jobs and plans; they never delete.
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects(`${prefix}*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListVpgPrefixOnly',
        actions: ['s3:ListBucket'],
        resources: [props.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    props.bucketKey?.grantEncryptDecrypt(this.role);
    props.agentBundle.grantRead(this.role);
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
  }
}

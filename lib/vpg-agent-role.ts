/**
 * The role of one kind of one VPG's workers, with its instance profile: a zSAT (reader) or a ZImporter (writer).
 * Each reaches only `vpgs/<vpg>/` of the replica store and never deletes:
 * - a zSAT reads what its job needs and may only *create* its job's packs and results (`If-None-Match`, so a
 *   worker can never overwrite a pack, an index or a committed checkpoint) and write its progress;
 * - a ZImporter reads the store and writes only its import's progress and results.
 * Conditional writes as an IAM condition: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
 * A zSAT runs on the protected side: its role is under the VPG's protected path, which the replica bucket's policy
 * denies every delete, overwrite and configuration change (lib/replica-bucket-guard.ts). A ZImporter is the recovery
 * site's writer and carries no such path.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { ack, KMS, readOwnPrefix, RUNTIME_IDS, storeAcks } from './nag-acks';
import { StoreStatements } from './step-permissions';
import type { WorkerRole } from './worker-launch-template';
import { protectedRolePath } from '../runtime/core/resource-names';

export interface VpgAgentRoleProps {
  /** The site id (in the role's description). */
  readonly siteId: string;
  /** The VPG whose store prefix (`vpgs/<vpgName>/`) is all the role may reach. */
  readonly vpgName: string;
  /** Which worker runs with this role. */
  readonly worker: WorkerRole;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /**
   * The bucket's KMS key, if it has one of ours.
   * @default none: SSE-S3
   */
  readonly bucketKey?: kms.IKey;
  /** The agent bundle the user data downloads. */
  readonly agentBundle: s3assets.Asset;
}

/** The VPG's key prefix in the replica store (agent-job.ts StoreLocation.prefix). */
export function vpgStorePrefix(vpgName: string): string {
  return `vpgs/${vpgName}/`;
}

/** What each worker may write under its VPG's prefix: keys it may only create, and keys it may rewrite. */
export function agentWrites(worker: WorkerRole, prefix: string): { createOnly: string[]; rewrite: string[] } {
  return worker === 'zsat'
    ? { createOnly: [`${prefix}packs/*`, `${prefix}syncs/*/results/*`], rewrite: [`${prefix}syncs/*/progress/*`] }
    : { createOnly: [], rewrite: [`${prefix}imports/*/progress/*`, `${prefix}imports/*/results/*`] };
}

export class VpgAgentRole extends Construct {
  readonly role: iam.Role;
  readonly instanceProfile: iam.InstanceProfile;

  constructor(scope: Construct, id: string, props: VpgAgentRoleProps) {
    super(scope, id);
    const prefix = vpgStorePrefix(props.vpgName);
    const store = new StoreStatements(props.bucket);
    const writes = agentWrites(props.worker, prefix);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      path: props.worker === 'zsat' ? protectedRolePath(props.siteId, props.vpgName) : undefined,
      description: `Lifeboat ${props.worker} agents of VPG ${props.vpgName} (site ${props.siteId}): store prefix ${prefix} only, no delete`,
    });
    const statements = [
      ...store.read('VpgStore', prefix),
      ...(writes.createOnly.length > 0 ? [store.put('CreateOnly', writes.createOnly, 'if-none-match')] : []),
      store.put('OwnProgress', writes.rewrite),
    ];
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    props.bucketKey?.grantEncryptDecrypt(this.role);
    props.agentBundle.grantRead(this.role);
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });
    ack(this.role, [
      ...KMS,
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "CDK's Asset.grantRead, read-only, on the CDK asset bucket: the agent downloads its own bundle at boot",
      })),
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: 'read-only access to the CDK bootstrap asset bucket, where the agent bundle is published',
      },
      ...storeAcks(this, props.bucket, {
        ...readOwnPrefix(prefix),
        ...(props.worker === 'zsat'
          ? {
              ...Object.fromEntries(
                writes.createOnly.map((k) => [
                  k,
                  `a zSAT only creates (If-None-Match, s3:if-none-match) its job's packs and results, never overwrites; ${RUNTIME_IDS}`,
                ]),
              ),
              ...Object.fromEntries(writes.rewrite.map((k) => [k, `a zSAT rewrites its own job's progress (heartbeats) only; ${RUNTIME_IDS}`])),
            }
          : Object.fromEntries(writes.rewrite.map((k) => [k, `a ZImporter writes only its own import's progress and results; ${RUNTIME_IDS}`]))),
      }),
    ]);
  }
}

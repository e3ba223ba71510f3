/**
 * Least-privilege statements of the sync steps' role. Ownership is a security boundary in IAM too:
 * destructive actions need our Owner on the resource, creates need our Owner and a ZERTO_TAG in the request,
 * and tags can be written only as part of one of our creates (nothing can re-tag a foreign resource into ours).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { TAG, ZERTO_TAG_TABLE, type ResourceKind, type ResourceRole } from '../lambda/core/tags';
import { failbackStateMachineName } from '../lambda/core/sync-contract';

/** Describe calls have no resource-level permissions in EC2. */
export const EC2_DESCRIBE_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeVolumes',
  'ec2:DescribeSnapshots',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:DescribeImages',
  'ec2:DescribeTags',
  'ec2:DescribeAvailabilityZones',
];
export const EC2_DESTRUCTIVE_ACTIONS = ['ec2:DeleteSnapshot', 'ec2:DeleteVolume', 'ec2:DetachVolume', 'ec2:TerminateInstances', 'ec2:StopInstances'];

/** Each create action and the resource kinds it brings into being (and so must tag). */
export const EC2_CREATES: ReadonlyArray<{ action: string; creates: readonly ResourceKind[] }> = [
  { action: 'RunInstances', creates: ['instance', 'volume', 'network-interface'] },
  { action: 'CreateVolume', creates: ['volume'] },
  { action: 'CreateSnapshot', creates: ['snapshot'] },
  { action: 'CreateSnapshots', creates: ['snapshot'] },
];

/** The roles whose resources the steps create (zASA runs as Lambda and creates nothing of its own). */
const CREATING_ROLES: readonly ResourceRole[] = ['zsat', 'zimporter', 'recovered-vm', 'sync-snapshot'];

/** ZERTO_TAG values the tag table allows for a resource kind created by the steps. */
export function zertoValuesFor(kind: ResourceKind): string[] {
  const values = CREATING_ROLES.map((role) => ZERTO_TAG_TABLE[`${role}/${kind}`]).filter((v): v is NonNullable<typeof v> => !!v);
  return [...new Set(values)].sort();
}

export interface StepPermissionProps {
  readonly siteId: string;
  /** ARNs of the site's worker launch templates (the only templates RunInstances may use). */
  readonly launchTemplateArns: readonly string[];
}

export function ec2Arn(stack: Stack, kind: string, regional = true): string {
  // Snapshots and images are account-less in their ARNs.
  return stack.formatArn({ service: 'ec2', resource: kind, resourceName: '*', account: regional ? undefined : '' });
}

export function stepPolicyStatements(stack: Stack, props: StepPermissionProps): iam.PolicyStatement[] {
  const { siteId } = props;
  const arn = (kind: ResourceKind | 'image' | 'subnet' | 'key-pair') => ec2Arn(stack, kind, kind !== 'snapshot' && kind !== 'image');
  const ours = { StringEquals: { [`aws:ResourceTag/${TAG.owner}`]: siteId } };
  const statements: iam.PolicyStatement[] = [
    new iam.PolicyStatement({ sid: 'Ec2Describe', actions: EC2_DESCRIBE_ACTIONS, resources: ['*'] }),
    new iam.PolicyStatement({
      sid: 'Ec2DestroyOnlyOurs',
      actions: EC2_DESTRUCTIVE_ACTIONS,
      resources: [arn('instance'), arn('volume'), arn('snapshot')],
      conditions: ours,
    }),
    new iam.PolicyStatement({ sid: 'Ec2AttachOnlyOurs', actions: ['ec2:AttachVolume'], resources: [arn('instance'), arn('volume')], conditions: ours }),
  ];

  // Creates: one statement per created kind, so each carries the ZERTO_TAG value the table gives that kind.
  for (const kind of ['instance', 'volume', 'network-interface', 'snapshot'] as const) {
    const actions = EC2_CREATES.filter((c) => c.creates.includes(kind)).map((c) => `ec2:${c.action}`);
    statements.push(
      new iam.PolicyStatement({
        sid: `Ec2CreateTagged${kind.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`,
        actions,
        resources: [arn(kind)],
        conditions: {
          StringEquals: { [`aws:RequestTag/${TAG.owner}`]: siteId, [`aws:RequestTag/${TAG.zerto}`]: zertoValuesFor(kind) },
          'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG.zerto] },
        },
      }),
    );
  }

  // Sources the creates also authorize on; they are read, not changed, so they carry no tag condition.
  statements.push(
    new iam.PolicyStatement({
      sid: 'Ec2RunInstancesSources',
      actions: ['ec2:RunInstances'],
      resources: [arn('image'), arn('snapshot'), arn('subnet'), arn('security-group'), arn('key-pair'), ...props.launchTemplateArns],
    }),
    new iam.PolicyStatement({ sid: 'Ec2SnapshotSources', actions: ['ec2:CreateSnapshot', 'ec2:CreateSnapshots'], resources: [arn('instance'), arn('volume')] }),
    new iam.PolicyStatement({ sid: 'Ec2CreateVolumeSource', actions: ['ec2:CreateVolume'], resources: [arn('snapshot')] }),
    new iam.PolicyStatement({
      sid: 'Ec2TagOnlyAtCreate',
      actions: ['ec2:CreateTags'],
      resources: [arn('instance'), arn('volume'), arn('network-interface'), arn('snapshot')],
      conditions: { StringEquals: { 'ec2:CreateAction': EC2_CREATES.map((c) => c.action) } },
    }),
    new iam.PolicyStatement({
      sid: 'EbsReadOurSnapshots',
      actions: ['ebs:ListSnapshotBlocks', 'ebs:ListChangedBlocks', 'ebs:GetSnapshotBlock'],
      resources: [arn('snapshot')],
      conditions: ours,
    }),
    // Journal compaction waits while a failback of the VPG runs: it lists the site's failback executions.
    new iam.PolicyStatement({
      sid: 'JournalSeesFailbacks',
      actions: ['states:ListExecutions'],
      resources: [
        stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: failbackStateMachineName(siteId, '*'), arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
    }),
  );
  return statements;
}

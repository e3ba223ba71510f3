/**
 * IAM statement builders for Lifeboat's roles (the per-VPG step roles of lib/vpg-step-roles.ts and the site's
 * sweeper). Ownership is a security boundary in IAM too:
 * - a create needs our Owner, the VPG, the Lifeboat role and the ZERTO_TAG the tag table gives the created kind
 *   in the request (`aws:RequestTag/...`);
 * - a destroy (and an attach) needs the same tags on the resource (`aws:ResourceTag/...`);
 * - tags can be written only as part of one of our creates (`ec2:CreateAction`), so nothing can re-tag a foreign
 *   resource into looking like ours.
 * Which EC2 action offers which condition key on which resource (aws:RequestTag on what it creates, aws:ResourceTag
 * on what it reads or changes, ec2:CreateAction on CreateTags, ec2:LaunchTemplate on RunInstances):
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html (test/lib/iam-simulate.test.ts
 * evaluates the policies with that reference's data); tag-on-create:
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
 */
import { ArnFormat, Fn, Token, type Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Location } from './site-placement';
import { TAG, ZERTO_TAG_TABLE, type ResourceKind, type ResourceRole } from '../runtime/core/tags';

/**
 * The Describe calls Lifeboat's code makes (runtime/aws/*). They take no resource-level permissions in EC2, so
 * they stay on "*"; read-only, and no more of them than the code calls.
 */
export const EC2_DESCRIBE_ACTIONS = [
  'ec2:DescribeInstances',
  'ec2:DescribeVolumes',
  'ec2:DescribeSnapshots',
  'ec2:DescribeSubnets',
  'ec2:DescribeImages',
  'ec2:DescribeLaunchTemplates',
];

/** What a destroy does, per resource kind it authorizes on (DetachVolume authorizes on both the instance and the volume). */
export const EC2_DESTROY_ACTIONS: Readonly<Partial<Record<ResourceKind, readonly string[]>>> = {
  instance: ['ec2:TerminateInstances', 'ec2:DetachVolume'],
  volume: ['ec2:DeleteVolume', 'ec2:DetachVolume'],
  snapshot: ['ec2:DeleteSnapshot'],
};
/** Attaching a volume authorizes on the instance and on the volume. */
export const EC2_ATTACH_ACTIONS: Readonly<Partial<Record<ResourceKind, readonly string[]>>> = {
  instance: ['ec2:AttachVolume'],
  volume: ['ec2:AttachVolume'],
};

/** The roles of what Lifeboat's steps create (zASA runs as Lambda and creates nothing of its own). */
export type CreatingRole = Extract<ResourceRole, 'zsat' | 'zimporter' | 'recovered-vm' | 'sync-snapshot'>;
export type Ec2CreateAction = 'RunInstances' | 'CreateVolume' | 'CreateSnapshot' | 'CreateSnapshots' | 'RegisterImage';

/** Each create action and the resource kinds it brings into being (and so must tag). */
export const EC2_CREATES: Readonly<Record<Ec2CreateAction, readonly ResourceKind[]>> = {
  RunInstances: ['instance', 'volume', 'network-interface'],
  CreateVolume: ['volume'],
  CreateSnapshot: ['snapshot'],
  CreateSnapshots: ['snapshot'],
  // RegisterImage may tag only the image (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegisterImage.html)
  RegisterImage: ['image'],
};

/**
 * The kinds of each role Lifeboat creates (a failback snapshots its importer volumes, as the importers' or, when the VM
 * boots from an image of them, as the recovered VM's, and registers that image: runtime/core/failback/recovered.ts).
 */
export const CREATED_KINDS: Readonly<Record<CreatingRole, readonly ResourceKind[]>> = {
  zsat: ['instance', 'volume', 'network-interface'],
  'sync-snapshot': ['snapshot'],
  zimporter: ['instance', 'volume', 'network-interface', 'snapshot'],
  'recovered-vm': ['instance', 'volume', 'network-interface', 'snapshot', 'image'],
};

/**
 * The ZERTO_TAG a created (role, kind) carries: the tag table's row; an importer volume's snapshot has no row of
 * its own and carries its volume's (failback/recovered.ts tags it `tagsFor(site, 'zimporter', 'volume')`).
 */
export function zertoValue(role: CreatingRole, kind: ResourceKind): string {
  const value = ZERTO_TAG_TABLE[`${role}/${kind}`] ?? (kind === 'snapshot' ? ZERTO_TAG_TABLE[`${role}/volume`] : undefined);
  if (!value) throw new Error(`Lifeboat creates no ${role} ${kind}`);
  return value;
}

/** ZERTO_TAG values of a kind across roles (sorted, unique). */
export function zertoValuesFor(kind: ResourceKind, roles: readonly CreatingRole[]): string[] {
  return [...new Set(roles.filter((r) => CREATED_KINDS[r].includes(kind)).map((r) => zertoValue(r, kind)))].sort();
}

/** An EC2 ARN of this stack's account and region, or of `at` (the protected side of a split site). */
export function ec2Arn(stack: Stack, kind: string, name = '*', at: Location = {}): string {
  // Snapshots and images are account-less in their ARNs.
  const accountless = kind === 'snapshot' || kind === 'image';
  if (Token.isUnresolved(name))
    return stack.formatArn({ service: 'ec2', resource: kind, resourceName: name, region: at.region, account: accountless ? '' : at.account });
  // One Fn::Sub rather than formatArn's Fn::Join: a third shorter, which keeps each role's policy within one inline
  // policy (IAM's 10,240 characters per role) for longer.
  const region = at.region ?? '${AWS::Region}';
  const account = accountless ? '' : (at.account ?? '${AWS::AccountId}');
  return Fn.sub(`arn:\${AWS::Partition}:ec2:${region}:${account}:${kind}/${name}`);
}

/** `cleanup-failed` → `CleanupFailed`; `network-interface` → `NetworkInterface` (construct ids, statement ids). */
export function pascalCase(text: string): string {
  return text.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
}

export function ec2DescribeStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid: 'Ec2Describe', actions: EC2_DESCRIBE_ACTIONS, resources: ['*'] });
}

export interface OwnedResourceProps {
  /** Statement id prefix; the kind is appended. */
  readonly sid: string;
  /** Actions per resource kind they authorize on. */
  readonly actions: Readonly<Partial<Record<ResourceKind, readonly string[]>>>;
  readonly siteId: string;
  /**
   * The VPG whose resources alone the statements reach (`aws:ResourceTag/lifeboat:vpg`).
   * @default any VPG of the site, but a VPG tag must be present (the site's sweeper)
   */
  readonly vpg?: string;
  /** The Lifeboat roles the resources may carry (`aws:ResourceTag/lifeboat:role`). */
  readonly roles: readonly CreatingRole[];
}

/**
 * One statement per resource kind, on resources carrying our Owner, our VPG, one of `roles` and the ZERTO_TAG the
 * table gives that (role, kind): destroys and attaches. A kind none of the roles has is left out.
 */
export function ownedResourceStatements(stack: Stack, props: OwnedResourceProps): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  for (const [kind, actions] of Object.entries(props.actions) as Array<[ResourceKind, readonly string[]]>) {
    const roles = props.roles.filter((r) => CREATED_KINDS[r].includes(kind));
    if (roles.length === 0) continue;
    statements.push(
      new iam.PolicyStatement({
        sid: `${props.sid}${pascalCase(kind)}`,
        actions: [...actions],
        resources: [ec2Arn(stack, kind)],
        conditions: {
          StringEquals: {
            [`aws:ResourceTag/${TAG.owner}`]: props.siteId,
            ...(props.vpg !== undefined ? { [`aws:ResourceTag/${TAG.vpg}`]: props.vpg } : {}),
            [`aws:ResourceTag/${TAG.role}`]: roles,
            [`aws:ResourceTag/${TAG.zerto}`]: zertoValuesFor(kind, roles),
          },
          // Null "false": the key must be present (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null)
          ...(props.vpg === undefined ? { Null: { [`aws:ResourceTag/${TAG.vpg}`]: 'false' } } : {}),
        },
      }),
    );
  }
  return statements;
}

export interface Ec2Create {
  readonly action: Ec2CreateAction;
  readonly role: CreatingRole;
  /**
   * ARN of the only launch template this create may launch from (`ec2:LaunchTemplate`); RunInstances only.
   * @default none: the create names its image, snapshots and network itself (a recovered VM)
   */
  readonly launchTemplateArn?: string;
}

export interface Ec2CreateProps {
  readonly siteId: string;
  readonly vpg: string;
  readonly creates: readonly Ec2Create[];
}

/**
 * One statement per create and ZERTO_TAG value of what it creates (kinds of one value share a statement), each
 * requiring in the request our Owner, the VPG, the role and that ZERTO_TAG; RunInstances of a worker also only from
 * its launch template (`ec2:LaunchTemplate`, which RunInstances offers on every resource it authorizes:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html#amazonec2-policy-keys).
 * Then the one CreateTags statement: only as part of these creates.
 */
export function ec2CreateStatements(stack: Stack, props: Ec2CreateProps): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  for (const create of props.creates) {
    const byZerto = new Map<string, ResourceKind[]>();
    for (const kind of EC2_CREATES[create.action]) {
      const zerto = zertoValue(create.role, kind);
      byZerto.set(zerto, [...(byZerto.get(zerto) ?? []), kind]);
    }
    for (const [zerto, kinds] of byZerto) {
      statements.push(
        new iam.PolicyStatement({
          sid: `${create.action}${pascalCase(create.role)}${pascalCase(zerto.replace(/^ZERTO_|_RESOURCE$/g, '').toLowerCase())}`,
          actions: [`ec2:${create.action}`],
          resources: kinds.map((k) => ec2Arn(stack, k)),
          conditions: {
            StringEquals: {
              [`aws:RequestTag/${TAG.owner}`]: props.siteId,
              [`aws:RequestTag/${TAG.vpg}`]: props.vpg,
              [`aws:RequestTag/${TAG.role}`]: create.role,
              [`aws:RequestTag/${TAG.zerto}`]: zerto,
              // On the statement that creates the instance: every RunInstances creates one, so this one condition
              // confines every launch of the role's workers to their template.
              ...(create.launchTemplateArn && kinds.includes('instance') ? { 'ec2:LaunchTemplate': create.launchTemplateArn } : {}),
            },
          },
        }),
      );
    }
  }
  const actions = [...new Set(props.creates.map((c) => c.action))].sort();
  const kinds = [...new Set(props.creates.flatMap((c) => EC2_CREATES[c.action]))];
  statements.push(
    new iam.PolicyStatement({
      sid: 'Ec2TagOnlyAtCreate',
      actions: ['ec2:CreateTags'],
      resources: kinds.map((k) => ec2Arn(stack, k)),
      conditions: { StringEquals: { 'ec2:CreateAction': actions } },
    }),
  );
  return statements;
}

/** EBS direct reads (the plan's changed blocks) on this VPG's own sync snapshots only. */
export function ebsReadStatement(stack: Stack, siteId: string, vpg: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'EbsReadOurSnapshots',
    actions: ['ebs:ListSnapshotBlocks', 'ebs:ListChangedBlocks', 'ebs:GetSnapshotBlock'],
    resources: [ec2Arn(stack, 'snapshot')],
    conditions: { StringEquals: { [`aws:ResourceTag/${TAG.owner}`]: siteId, [`aws:ResourceTag/${TAG.vpg}`]: vpg } },
  });
}

/** iam:PassRole of one role, to EC2 only (the workers' instance profile). */
export function passRoleStatement(roleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PassWorkerRole',
    actions: ['iam:PassRole'],
    resources: [roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  });
}

/** A state machine's ARN by its conventional name: a name, not a reference, so no role depends on a machine that runs its functions. */
export function stateMachineArn(stack: Stack, name: string, at: Location = {}): string {
  return stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME, ...at });
}

/** `arn:<partition>:states:<region>:<account>:stateMachine:`: a state machine's ARN less its name. */
export function stateMachineArnPrefix(stack: Stack, at: Location = {}): string {
  return stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: '', arnFormat: ArnFormat.COLON_RESOURCE_NAME, ...at });
}

/** Every execution of a state machine, by its name. */
export function executionsArn(stack: Stack, machineName: string, at: Location = {}): string {
  return stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME, ...at });
}

/**
 * S3 condition keys of conditional writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html):
 * `Null: {"s3:if-none-match": "false"}` allows a PUT only when it carries If-None-Match (create, never overwrite);
 * `s3:if-match` likewise for If-Match (replace exactly the version just read). Lifeboat uses no multipart upload,
 * so no `s3:ObjectCreationOperation` exemption is needed.
 */
export const IF_NONE_MATCH = { Null: { 's3:if-none-match': 'false' } } as const;
export const IF_MATCH = { Null: { 's3:if-match': 'false' } } as const;

export type S3WriteCondition = 'if-none-match' | 'if-match';

/** s3 statements over one bucket; keys are full key patterns (`vpgs/web/packs/*`). */
export class StoreStatements {
  constructor(private readonly bucket: s3.IBucket) {}

  /**
   * GetObject on `<prefix>*`; ListBucket with `s3:prefix` under it, or with no prefix at all. The second is what S3
   * checks before it tells a reader that a key does not exist: 404 only to a caller with s3:ListBucket on the bucket,
   * evaluated with no s3:prefix, else 403 AccessDenied (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
   * Every step reads keys that may not exist yet (the lease, progress, indexes) and needs that 404.
   */
  read(sid: string, prefix: string): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({ sid: `${sid}Get`, actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${prefix}*`)] }),
      new iam.PolicyStatement({
        sid: `${sid}List`,
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html (s3:prefix)
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
      // Null "true": the request carries no s3:prefix (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null)
      new iam.PolicyStatement({
        sid: `${sid}Exists`,
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { Null: { 's3:prefix': 'true' } },
      }),
    ];
  }

  /** PutObject and DeleteObject on `keys`: working files a role writes and removes. */
  putAndDelete(sid: string, keys: readonly string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({ sid, actions: ['s3:PutObject', 's3:DeleteObject'], resources: keys.map((k) => this.bucket.arnForObjects(k)) });
  }

  /** PutObject on `keys`, with a conditional-write requirement when given. */
  put(sid: string, keys: readonly string[], condition?: S3WriteCondition): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid,
      actions: ['s3:PutObject'],
      resources: keys.map((k) => this.bucket.arnForObjects(k)),
      conditions: condition === 'if-none-match' ? { ...IF_NONE_MATCH } : condition === 'if-match' ? { ...IF_MATCH } : undefined,
    });
  }

  /** DeleteObject (never DeleteObjectVersion: versions are the store's undo history; only lifecycle removes them). */
  delete(sid: string, keys: readonly string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({ sid, actions: ['s3:DeleteObject'], resources: keys.map((k) => this.bucket.arnForObjects(k)) });
  }

  /** The VPG lease (runtime/core/lease/vpg-lease.ts): created with If-None-Match or replaced with If-Match, never plainly. */
  lease(leaseKey: string): iam.PolicyStatement[] {
    return [this.put('LeaseCreate', [leaseKey], 'if-none-match'), this.put('LeaseReplace', [leaseKey], 'if-match')];
  }
}

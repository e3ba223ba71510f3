/**
 * The roles of one VPG's step functions, one per kind of step, each with only what its steps do
 * (docs/reliability.md "Security" has the table):
 * - sync (begin … commit): snapshot, launch zSATs from the site's zSAT template, read EBS blocks, write the
 *   sync's working files and *create* checkpoints; it deletes nothing, and destroys nothing but a zSAT of this
 *   VPG that has reported done (PollZsat frees its vCPUs for the zSATs waiting on the quota);
 * - compaction (compact-journal; a split site's journal run): the only role that deletes checkpoints and packs; no EC2 at all;
 * - cleanup (cleanup, cleanup-failed): destroys this VPG's zSATs and sync snapshots, deletes the sync's working files;
 * - failback (every failback step): ZImporters, recovered VMs and their images, a live failback's stop of the VPG's own instances.
 * Every role names this VPG only: its prefix, its instances, its workers' roles, its state machines.
 * The sync and cleanup roles are the protected side's (SYNC_STEP_ROLE): they are under the VPG's protected IAM path,
 * whose every delete, overwrite and configuration change the replica bucket's policy denies as well
 * (lib/replica-bucket-guard.ts). Compaction deletes checkpoints and packs and so is never protected-side: a whole
 * site's sync runs it (one account and region, nothing to split), a split site's recovery site runs it in its journal
 * state machine (lib/journal-state-machine.ts), and its protected VPG stack holds no compaction role at all.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { FAILBACK_STEPS, type FailbackStep } from '../runtime/core/failback/contract';
import { type SyncStep } from '../runtime/core/sync/contract';
import { STANDARD_VCPU_QUOTA_CODE } from '../runtime/core/sync/vcpu-quota';
import {
  EC2_ATTACH_ACTIONS,
  EC2_DESTROY_ACTIONS,
  StoreStatements,
  ebsReadStatement,
  ec2Arn,
  ec2CreateStatements,
  ec2DescribeStatement,
  executionsArn,
  ownedResourceStatements,
  passRoleStatement,
  stateMachineArn,
} from './step-permissions';
import { vpgStorePrefix } from './vpg-agent-role';
import { ebsKmsStatements } from './kms-permissions';
import { acknowledgeStepRoleFindings } from './vpg-step-roles-acks';
import { ALL_HERE, type Location, type Peers } from './site-placement';
import { failbackStateMachineName, journalStateMachineName, protectedRolePath, syncStateMachineName } from '../runtime/core/resource-names';

/** The kinds of step role a VPG has. */
export type StepRoleKind = 'sync' | 'compaction' | 'cleanup' | 'failback';

/** The step roles on the protected side: what their steps write, the bucket policy guards against (lib/replica-bucket-guard.ts). */
export const PROTECTED_STEP_ROLES: readonly StepRoleKind[] = ['sync', 'cleanup'];

/** Which role each sync step runs with. */
export const SYNC_STEP_ROLE: Readonly<Record<SyncStep, StepRoleKind>> = {
  begin: 'sync',
  'create-snapshots': 'sync',
  'check-snapshots': 'sync',
  plan: 'sync',
  'spawn-zsat': 'sync',
  'poll-zsat': 'sync',
  'continue-sync': 'sync',
  commit: 'sync',
  'compact-journal': 'compaction',
  cleanup: 'cleanup',
  'cleanup-failed': 'cleanup',
};
/** Every failback step runs with the failback role. */
export const FAILBACK_STEP_ROLE: Readonly<Record<FailbackStep, StepRoleKind>> = Object.fromEntries(FAILBACK_STEPS.map((s) => [s, 'failback'])) as Record<
  FailbackStep,
  StepRoleKind
>;

export interface VpgStepRolesProps {
  /** The site id: the Owner every EC2 condition requires. */
  readonly siteId: string;
  /** The VPG: its store prefix, its `lifeboat:vpg` tag, its state machines. */
  readonly vpgName: string;
  /** The replica store. */
  readonly bucket: s3.IBucket;
  /**
   * The bucket's KMS key, if it has one of ours.
   * @default none: SSE-S3
   */
  readonly bucketKey?: kms.IKey;
  /** ARN of the site's zSAT launch template: the only one the sync may launch from. */
  readonly zsatLaunchTemplateArn: string;
  /** ARN of the site's ZImporter launch template: the only template the failback may launch from. */
  readonly importerLaunchTemplateArn: string;
  /** This VPG's zSAT agent role: the only role the sync may pass. */
  readonly zsatAgentRoleArn: string;
  /** This VPG's ZImporter agent role: the only role the failback may pass. */
  readonly importerAgentRoleArn: string;
  /**
   * The VPG's instance ids (its selector): the instances a sync may snapshot and a live failback may stop.
   * @default none
   */
  readonly instanceIds?: readonly string[];
  /**
   * The VPG's selection tags, as `aws:ResourceTag` conditions for the same.
   * @default none
   */
  readonly instanceTags?: Readonly<Record<string, string>>;
  /**
   * The KMS keys the sync and failback may use for encrypted volumes (config `kms.keyArns`).
   * @default every key of the account, through EC2 only (lib/kms-permissions.ts)
   */
  readonly kmsKeyArns?: readonly string[];
  /**
   * The role kinds this stack holds: a split site's protected side holds the sync's, its recovery site the failback's.
   * @default every kind
   */
  readonly kinds?: readonly StepRoleKind[];
  /**
   * Where the other half's state machines and instances are (lib/site-placement.ts).
   * @default this stack's account and region
   */
  readonly peers?: Peers;
  /**
   * Where the VPG's journal state machine is (a split site's, in the recovery site), whose runs may hold the lease.
   * @default none: the site has no journal state machine (its sync compacts)
   */
  readonly journal?: Location;
}

/**
 * The VPG's protected instances, as IAM statements of `action`: by their ARNs (ids) or under the exact selection
 * tags. They are the customer's: they carry the selection, never our Owner.
 */
export function selectedInstanceStatements(
  stack: Stack,
  sid: string,
  actions: readonly string[],
  ids: readonly string[],
  tags: Readonly<Record<string, string>>,
  at: Location = {},
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (ids.length > 0) {
    statements.push(new iam.PolicyStatement({ sid: `${sid}Ids`, actions: [...actions], resources: ids.map((id) => ec2Arn(stack, 'instance', id, at)) }));
  }
  const entries = Object.entries(tags);
  if (entries.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: `${sid}Tags`,
        actions: [...actions],
        resources: [ec2Arn(stack, 'instance', '*', at)],
        conditions: { StringEquals: Object.fromEntries(entries.map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
      }),
    );
  }
  return statements;
}

const EVERY_KIND: readonly StepRoleKind[] = ['sync', 'compaction', 'cleanup', 'failback'];

export class VpgStepRoles extends Construct {
  private readonly roles: Partial<Record<StepRoleKind, iam.Role>> = {};

  constructor(scope: Construct, id: string, props: VpgStepRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { siteId, vpgName: vpg } = props;
    const prefix = vpgStorePrefix(vpg);
    const store = new StoreStatements(props.bucket);
    const syncMachine = syncStateMachineName(siteId, vpg);
    const failbackMachine = failbackStateMachineName(siteId, vpg);
    const journal = props.journal ? { machine: journalStateMachineName(siteId, vpg), at: props.journal } : undefined;
    const ids = props.instanceIds ?? [];
    const tags = props.instanceTags ?? {};
    const peers = props.peers ?? ALL_HERE;
    const kinds = new Set(props.kinds ?? EVERY_KIND);
    // Statements are made afresh for each role (a statement added to a policy is frozen).
    const lease = () => store.lease(`${prefix}lease.json`);
    // The lease asks whether a holder still runs (DescribeExecution, strongly consistent); the holder of a VPG's
    // lease is one of its syncs, one of its failbacks or, in a split site, one of its journal runs. ListExecutions (eventually consistent) never decides a
    // lease; the steps use it to name the running syncs whose resources they leave alone.
    const describeHolders = () =>
      new iam.PolicyStatement({
        sid: 'LeaseHolderState',
        actions: ['states:DescribeExecution'],
        resources: [
          executionsArn(stack, syncMachine, peers.sync),
          executionsArn(stack, failbackMachine, peers.failback),
          ...(journal ? [executionsArn(stack, journal.machine, journal.at)] : []),
        ],
      });
    const listSyncs = () =>
      new iam.PolicyStatement({ sid: 'ListSyncs', actions: ['states:ListExecutions'], resources: [stateMachineArn(stack, syncMachine, peers.sync)] });

    const role = (kind: StepRoleKind, roleId: string, what: string, statements: () => readonly iam.PolicyStatement[]) => {
      if (!kinds.has(kind)) return;
      const r = new iam.Role(this, roleId, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        path: PROTECTED_STEP_ROLES.includes(kind) ? protectedRolePath(siteId, vpg) : undefined,
        description: `Lifeboat ${what} of VPG ${vpg} (site ${siteId})`,
      });
      for (const s of statements()) r.addToPrincipalPolicy(s);
      props.bucketKey?.grantEncryptDecrypt(r);
      this.roles[kind] = r;
    };

    role('sync', 'Sync', 'sync steps (snapshot, zSATs, commit): creates, never deletes', () => [
      ec2DescribeStatement(),
      ...ec2CreateStatements(stack, {
        siteId,
        vpg,
        creates: [
          { action: 'RunInstances', role: 'zsat', launchTemplateArn: props.zsatLaunchTemplateArn },
          { action: 'CreateVolume', role: 'zsat' },
          { action: 'CreateSnapshots', role: 'sync-snapshot' },
        ],
      }),
      // What a zSAT launch reads (the template's image, subnet and group); only through the zSAT template.
      new iam.PolicyStatement({
        sid: 'RunZsatSources',
        actions: ['ec2:RunInstances'],
        resources: ['image', 'snapshot', 'subnet', 'security-group'].map((k) => ec2Arn(stack, k)).concat(props.zsatLaunchTemplateArn),
        conditions: { StringEquals: { 'ec2:LaunchTemplate': props.zsatLaunchTemplateArn } },
      }),
      // A zSAT volume comes from this VPG's own sync snapshot.
      ...ownedResourceStatements(stack, { sid: 'ZsatVolumeFrom', actions: { snapshot: ['ec2:CreateVolume'] }, siteId, vpg, roles: ['sync-snapshot'] }),
      // Snapshot sets of the VPG's own instances only (their volumes carry no selection of their own).
      ...selectedInstanceStatements(stack, 'SnapshotSelected', ['ec2:CreateSnapshots'], ids, tags),
      new iam.PolicyStatement({ sid: 'SnapshotTheirVolumes', actions: ['ec2:CreateSnapshots'], resources: [ec2Arn(stack, 'volume')] }),
      ...ownedResourceStatements(stack, { sid: 'Attach', actions: EC2_ATTACH_ACTIONS, siteId, vpg, roles: ['zsat'] }),
      // PollZsat terminates a zSAT once it has reported done (its volumes stay for Cleanup): instances only.
      ...ownedResourceStatements(stack, { sid: 'FinishedZsat', actions: { instance: ['ec2:TerminateInstances'] }, siteId, vpg, roles: ['zsat'] }),
      passRoleStatement(props.zsatAgentRoleArn),
      // Plan sizes the zSATs at once to the vCPU quota (runtime/core/sync/vcpu-quota.ts): the quota's applied value, on the
      // quota's own ARN (https://docs.aws.amazon.com/service-authorization/latest/reference/list_servicequotas.html),
      // and the types' vCPUs (DescribeInstanceTypes takes no resource-level permissions).
      new iam.PolicyStatement({
        sid: 'VcpuQuota',
        actions: ['servicequotas:GetServiceQuota'],
        resources: [
          stack.formatArn({ service: 'servicequotas', resource: 'ec2', resourceName: STANDARD_VCPU_QUOTA_CODE, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        ],
      }),
      new iam.PolicyStatement({ sid: 'InstanceTypeSizes', actions: ['ec2:DescribeInstanceTypes'], resources: ['*'] }),
      // HandOver continues a long sync as a new execution of this VPG's own sync state machine (continue-as-new).
      new iam.PolicyStatement({ sid: 'SyncContinues', actions: ['states:StartExecution'], resources: [stateMachineArn(stack, syncMachine)] }),
      ebsReadStatement(stack, siteId, vpg),
      describeHolders(),
      listSyncs(),
      ...store.read('Store', prefix),
      store.put('SyncWorkingFiles', [`${prefix}syncs/*`]),
      // A commit creates its checkpoint (manifest and summary) and never overwrites one.
      store.put('CommitCreatesOnly', [`${prefix}checkpoints/*`], 'if-none-match'),
      ...lease(),
    ]);

    // Never protected-side (PROTECTED_STEP_ROLES): it deletes. A split site holds it in the recovery site only, where
    // the journal run's steps use it; they never list executions (a sync's steps do, to name their leftovers).
    role('compaction', 'Compaction', 'journal compaction: the only deleter of checkpoints and packs; no EC2', () => [
      ...store.read('Store', prefix),
      // The rewrite of the oldest kept checkpoint replaces exactly the object it has just read.
      store.put('RewriteCheckpoint', [`${prefix}checkpoints/*`], 'if-match'),
      store.put('JournalMarker', [`${prefix}journal/*`]),
      store.delete('DropExpired', [`${prefix}journal/*`, `${prefix}checkpoints/*`, `${prefix}packs/*`, `${prefix}gc/*`]),
      describeHolders(),
      ...(journal ? [] : [listSyncs()]),
      ...lease(),
    ]);

    role('cleanup', 'Cleanup', "cleanup steps: destroys the VPG's zSATs and superseded sync snapshots", () => [
      ec2DescribeStatement(),
      ...ownedResourceStatements(stack, { sid: 'Destroy', actions: EC2_DESTROY_ACTIONS, siteId, vpg, roles: ['zsat', 'sync-snapshot'] }),
      // A leftover is deleted only when its sync id names a real execution of this VPG's sync.
      new iam.PolicyStatement({ sid: 'SyncState', actions: ['states:DescribeExecution'], resources: [executionsArn(stack, syncMachine)] }),
      listSyncs(),
      ...store.read('Store', prefix),
      store.delete('SyncWorkingFiles', [`${prefix}syncs/*`]),
      // A failed sync's note of the packs it may have orphaned, for the next compaction: created once.
      store.put('GcNote', [`${prefix}gc/*`], 'if-none-match'),
      ...lease(),
    ]);

    role('failback', 'Failback', 'failback steps: ZImporters, recovered VMs, a live failback of its own instances', () => [
      ec2DescribeStatement(),
      ...ec2CreateStatements(stack, {
        siteId,
        vpg,
        creates: [
          { action: 'RunInstances', role: 'zimporter', launchTemplateArn: props.importerLaunchTemplateArn },
          { action: 'RunInstances', role: 'recovered-vm' },
          { action: 'CreateVolume', role: 'zimporter' },
          { action: 'CreateSnapshot', role: 'zimporter' },
          { action: 'CreateSnapshot', role: 'recovered-vm' },
          { action: 'RegisterImage', role: 'recovered-vm' },
        ],
      }),
      // A recovered VM's image is registered from its own recovered snapshots only, and only its own is deregistered.
      ...ownedResourceStatements(stack, { sid: 'ImageFrom', actions: { snapshot: ['ec2:RegisterImage'] }, siteId, vpg, roles: ['recovered-vm'] }),
      ...ownedResourceStatements(stack, { sid: 'Deregister', actions: { image: ['ec2:DeregisterImage'] }, siteId, vpg, roles: ['recovered-vm'] }),
      // What the launches read: a recovered VM names its image, its snapshots, subnet and groups; a ZImporter its template.
      new iam.PolicyStatement({
        sid: 'RunSources',
        actions: ['ec2:RunInstances'],
        resources: ['image', 'snapshot', 'subnet', 'security-group'].map((k) => ec2Arn(stack, k)).concat(props.importerLaunchTemplateArn),
      }),
      // The recovered volumes are snapshotted from this VPG's own importer volumes.
      ...ownedResourceStatements(stack, { sid: 'SnapshotFrom', actions: { volume: ['ec2:CreateSnapshot'] }, siteId, vpg, roles: ['zimporter'] }),
      ...ownedResourceStatements(stack, { sid: 'Attach', actions: EC2_ATTACH_ACTIONS, siteId, vpg, roles: ['zimporter'] }),
      ...ownedResourceStatements(stack, { sid: 'Destroy', actions: EC2_DESTROY_ACTIONS, siteId, vpg, roles: ['zimporter', 'recovered-vm'] }),
      // A live failback stops the VPG's own protected instances, and nothing else.
      ...selectedInstanceStatements(stack, 'LiveStopSelected', ['ec2:StopInstances'], ids, tags, peers.sync),
      passRoleStatement(props.importerAgentRoleArn),
      // A live failback runs this VPG's final sync and follows it.
      new iam.PolicyStatement({ sid: 'FinalSyncStart', actions: ['states:StartExecution'], resources: [stateMachineArn(stack, syncMachine, peers.sync)] }),
      describeHolders(),
      listSyncs(),
      ...store.read('Store', prefix),
      store.putAndDelete('ImportAndReaderFiles', [`${prefix}imports/*`, `${prefix}readers/*`]),
      ...lease(),
    ]);

    // Encrypted volumes (lib/kms-permissions.ts): the sync snapshots, makes zSAT volumes and reads snapshots through
    // the EBS direct APIs; the failback makes ZImporter targets, their snapshots and the recovered VMs' volumes.
    for (const s of ebsKmsStatements(stack, { keyArns: props.kmsKeyArns, ebsDirectReads: true })) this.roles.sync?.addToPrincipalPolicy(s);
    for (const s of ebsKmsStatements(stack, { keyArns: props.kmsKeyArns })) this.roles.failback?.addToPrincipalPolicy(s);
    // Prepare asks KMS itself whether a checkpoint's key (or its multi-Region replica) exists in this region
    // (runtime/core/failback/recovery-site.ts): DescribeKey only, on the keys the role may use.
    this.roles.failback?.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RecoveryKeyExists',
        actions: ['kms:DescribeKey'],
        resources: props.kmsKeyArns?.length ? [...props.kmsKeyArns] : [stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' })],
      }),
    );
    acknowledgeStepRoleFindings({ scope: this, roles: this.roles, bucket: props.bucket, prefix, syncMachine, failbackMachine, peers, journal });
  }

  /** The role a step kind runs with; only the kinds this stack holds (props.kinds) exist. */
  of(kind: StepRoleKind): iam.Role {
    const r = this.roles[kind];
    if (!r) throw new Error(`this stack holds no ${kind} step role (a split site holds it in the other half)`);
    return r;
  }

  /** The role of `kind`, if this stack holds it. */
  find(kind: StepRoleKind): iam.Role | undefined {
    return this.roles[kind];
  }
}

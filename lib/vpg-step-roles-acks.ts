/**
 * The cdk-nag findings a VPG's step roles (lib/vpg-step-roles.ts) cause and accept, each with what bounds it;
 * VpgStepRoles acknowledges them on its roles as it builds them.
 */
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import type { Location, Peers } from './site-placement';
import { ack, STOP_SOURCES_THERE, DESCRIBE, DESTROY_OURS, EBS_KMS_KEYS, EXECUTIONS, KMS, readOwnPrefix, RUN_SOURCES, RUNTIME_IDS, storeAcks } from './nag-acks';

export interface StepRoleFindings {
  readonly scope: IConstruct;
  /** The roles this stack holds (a split site holds the sync's and the failback's in different stacks). */
  readonly roles: { readonly sync?: iam.Role; readonly compaction?: iam.Role; readonly cleanup?: iam.Role; readonly failback?: iam.Role };
  readonly bucket: IBucket;
  /** The VPG's store prefix, `vpgs/<vpg>/`. */
  readonly prefix: string;
  readonly syncMachine: string;
  readonly failbackMachine: string;
  /** Where the state machines are (lib/site-placement.ts). */
  readonly peers: Peers;
  /** A split site's journal state machine and where it is (its runs may hold the lease). */
  readonly journal?: { readonly machine: string; readonly at: Location };
}

export function acknowledgeStepRoleFindings(f: StepRoleFindings): void {
  const { scope, roles, bucket, prefix } = f;
  const readOwn = readOwnPrefix(prefix);
  const leaseHolders = [
    EXECUTIONS(scope, f.syncMachine, 'the lease asks whether its holder, a sync of this VPG, still runs (DescribeExecution, read-only)', f.peers.sync),
    EXECUTIONS(
      scope,
      f.failbackMachine,
      'the lease asks whether its holder, a failback of this VPG, still runs (DescribeExecution, read-only)',
      f.peers.failback,
    ),
    ...(f.journal
      ? [
          EXECUTIONS(
            scope,
            f.journal.machine,
            'the lease asks whether its holder, a journal run of this VPG, still runs (DescribeExecution, read-only)',
            f.journal.at,
          ),
        ]
      : []),
  ];
  // the sync and the failback launch workers from their templates and use the protected volumes' keys through EC2
  const launcher = [
    DESCRIBE,
    ...DESTROY_OURS(['instance', 'volume', 'snapshot', 'network-interface']),
    ...RUN_SOURCES(['image', 'subnet', 'security-group']),
    ...KMS,
    EBS_KMS_KEYS,
  ];
  if (roles.sync)
    ack(roles.sync, [
      ...launcher,
      ...storeAcks(scope, bucket, {
        ...readOwn,
        [`${prefix}syncs/*`]: `writes its own syncs' working files (plans, jobs) under ${prefix}syncs/; ${RUNTIME_IDS}`,
        [`${prefix}checkpoints/*`]: `creates checkpoints only with If-None-Match (s3:if-none-match): a commit can never overwrite one; ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
  if (roles.compaction)
    ack(roles.compaction, [
      ...KMS,
      ...storeAcks(scope, bucket, {
        ...readOwn,
        [`${prefix}checkpoints/*`]: `journal compaction, the one deleter of this VPG's expired checkpoints, rewrites the oldest kept one only with If-Match; ${RUNTIME_IDS}`,
        [`${prefix}packs/*`]: `journal compaction deletes this VPG's packs no kept checkpoint references; ${RUNTIME_IDS}`,
        [`${prefix}journal/*`]: 'journal compaction writes and deletes its own crash-safety marker under journal/',
        [`${prefix}gc/*`]: `journal compaction deletes the notes of packs failed syncs left, once collected; ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
  if (roles.cleanup)
    ack(roles.cleanup, [
      DESCRIBE,
      ...DESTROY_OURS(['instance', 'volume', 'snapshot']),
      ...KMS,
      ...storeAcks(scope, bucket, {
        ...readOwn,
        [`${prefix}syncs/*`]: `cleanup deletes its own VPG's sync working files (never checkpoints or packs); ${RUNTIME_IDS}`,
        [`${prefix}gc/*`]: `a failed sync's cleanup creates (If-None-Match only) a note of the packs it may have orphaned; ${RUNTIME_IDS}`,
      }),
      EXECUTIONS(
        scope,
        f.syncMachine,
        'cleanup deletes a leftover only when its sync id names a real sync of this VPG (DescribeExecution, read-only)',
        f.peers.sync,
      ),
    ]);
  if (roles.failback)
    ack(roles.failback, [
      ...launcher,
      ...(f.peers.sync.region ? [STOP_SOURCES_THERE(f.peers.sync.region)] : []),
      ...storeAcks(scope, bucket, {
        ...readOwn,
        [`${prefix}imports/*`]: `writes and removes its own imports' working files (jobs) under ${prefix}imports/; ${RUNTIME_IDS}`,
        [`${prefix}readers/*`]: `registers and removes the failback as a reader of a checkpoint (compaction leaves it alone); ${RUNTIME_IDS}`,
      }),
      ...leaseHolders,
    ]);
}

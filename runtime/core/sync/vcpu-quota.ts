/**
 * How many zSATs a sync runs at once under the account's vCPU quota. Every Lifeboat worker type counts against
 * Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, quota L-1216C47A, in vCPUs
 * (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html); a launch past it is refused
 * with VcpuLimitExceeded. Pure: Plan and `lifeboat doctor` read the figures, this decides.
 */
import { SyncFailed } from '../errors';

export const STANDARD_VCPU_QUOTA_CODE = 'L-1216C47A';

/** Whether an instance type counts against the Standard quota (its family's first letter). */
export const isStandardType = (instanceType: string): boolean => 'acdhimrtz'.includes(instanceType[0] ?? '');

export interface VcpuRoom {
  /** The applied quota, in vCPUs. */
  readonly quota: number;
  /** vCPUs of the Standard instances pending or running in the region now (this VPG's own zSATs included). */
  readonly inUse: number;
}

export interface ZsatsAtOnceInput {
  readonly zsats: number;
  readonly maxZsats: number;
  readonly instanceType: string;
  /** Default vCPUs of instanceType; null when EC2 did not say. */
  readonly vcpusEach: number | null;
  /** null when the quota or the instances could not be read: the configured bound stands. */
  readonly room: VcpuRoom | null;
}

export interface ZsatsAtOnce {
  readonly atOnce: number;
  /** Why atOnce is below what the config allows, for the log and the plan's output. */
  readonly boundBy?: string;
}

/**
 * The Map's MaxConcurrency for this sync: what the config allows, lowered to the zSATs that fit in the quota's
 * free vCPUs now. At least one: when none fits, the first launch waits with back-off for instances to end
 * (lib/lambda-task.ts), as it would for any capacity. A quota smaller than one zSAT can never launch: the sync
 * fails here, before anything is created, with a cause that names the quota and the fix.
 */
export function zsatsAtOnce(input: ZsatsAtOnceInput): ZsatsAtOnce {
  const configured = Math.max(1, Math.min(input.maxZsats, input.zsats));
  const { room, vcpusEach, instanceType } = input;
  if (!room || !vcpusEach || !isStandardType(instanceType)) return { atOnce: configured };
  if (vcpusEach > room.quota) {
    throw new SyncFailed(
      `VcpuLimitExceeded: one zSAT of ${instanceType} needs ${vcpusEach} vCPUs, more than the account's quota of ${room.quota} vCPUs of ` +
        `Running On-Demand Standard instances, so no zSAT can ever launch. Ask for a higher quota (Service Quotas, EC2 quota ${STANDARD_VCPU_QUOTA_CODE}) ` +
        `of at least ${room.inUse + vcpusEach}, or list a smaller type first in agent.instanceTypes`,
    );
  }
  const fit = Math.floor(Math.max(0, room.quota - room.inUse) / vcpusEach);
  if (fit >= configured) return { atOnce: configured };
  const atOnce = Math.max(1, fit);
  return {
    atOnce,
    boundBy:
      `${room.inUse} of the quota's ${room.quota} vCPUs (${STANDARD_VCPU_QUOTA_CODE}) are in use, room for ${fit} zSAT${fit === 1 ? '' : 's'} of ` +
      `${instanceType} (${vcpusEach} vCPUs each): ${atOnce} at once instead of ${configured}`,
  };
}

/**
 * Launching a worker (zSAT or ZImporter) through the configured instance types, first preferred: when EC2 has no
 * capacity for a type in the zone (InsufficientInstanceCapacity) or the zone does not offer it (Unsupported), the
 * next type is tried (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/troubleshooting-launch.html). A full vCPU
 * quota (QuotaFull) is not a reason to change type: the step rethrows it and Step Functions retries it with
 * back-off (lib/lambda-task.ts) while the other workers end.
 *
 * Crash-safe and never two instances for one worker: each type has its own client token (EC2 refuses one token
 * with other parameters, IdempotentParameterMismatch), and before a type is tried the attempt is recorded in the
 * store (read-after-write consistent). A retried step starts at the recorded type, so its token returns the
 * instance a crashed attempt launched, and it never goes back to a type whose capacity may since have returned.
 */
import { CapacityUnavailable, QuotaFull, errorMessage } from '../errors';
import { formatS3Url, launchRecordKey } from '../store/format';
import type { InstanceInfo, RunInstanceRequest, StepLog } from '../ports';
import { TAG, tagsFor, type Tags } from '../tags';
import type { WorkerPlacement } from './subnets';

export interface LaunchAttemptRecord {
  /** Index into the instance types of the type being (or last) tried. */
  readonly typeIndex: number;
  /** Why each earlier type was passed over, for the cause when none launches. */
  readonly refusals: readonly string[];
}

export interface LaunchRecordStore {
  getJson<T>(key: string): Promise<T | null>;
  putJson(key: string, value: unknown): Promise<void>;
}

export interface FallbackLaunch<T> {
  /** The types in order of preference; empty: the launch template's own type only. */
  readonly instanceTypes: readonly string[];
  /** The worker's client token for its first type; the others get a suffix. */
  readonly clientToken: string;
  /** Where the attempt is recorded (next to the worker's job). */
  readonly recordKey: string;
  readonly store: LaunchRecordStore;
  /** RunInstances with this type (undefined: the template's) and token. */
  readonly run: (instanceType: string | undefined, clientToken: string) => Promise<T>;
  /** Told of each type passed over, for the log. */
  readonly onFallback?: (from: string, to: string, why: string) => void;
}

/** EC2 client tokens are at most 64 characters; a suffix per fallback type keeps each within it. */
export function fallbackClientToken(clientToken: string, typeIndex: number): string {
  if (typeIndex === 0) return clientToken;
  const suffix = `-t${typeIndex}`;
  return `${clientToken.slice(0, 64 - suffix.length)}${suffix}`;
}

const passedOver = (err: unknown) => err instanceof CapacityUnavailable && !(err instanceof QuotaFull);

export async function launchWithFallback<T>(launch: FallbackLaunch<T>): Promise<T> {
  const types = launch.instanceTypes.length > 0 ? launch.instanceTypes : [undefined];
  const recorded = await launch.store.getJson<LaunchAttemptRecord>(launch.recordKey);
  let typeIndex = Math.min(recorded?.typeIndex ?? 0, types.length - 1);
  const refusals = [...(recorded?.refusals ?? [])];
  for (;;) {
    const type = types[typeIndex];
    try {
      return await launch.run(type, fallbackClientToken(launch.clientToken, typeIndex));
    } catch (err) {
      const last = typeIndex === types.length - 1;
      if (!passedOver(err)) throw err;
      const why = `${type ?? "the launch template's type"}: ${errorMessage(err)}`;
      if (last) {
        const tried = [...refusals, why];
        throw new CapacityUnavailable(
          tried.length === 1 ? why : `no instance type of ${types.length} could launch (${tried.map((t, i) => `${i + 1}. ${t}`).join(' ')})`,
          { cause: err },
        );
      }
      refusals.push(why);
      typeIndex += 1;
      await launch.store.putJson(launch.recordKey, { typeIndex, refusals } satisfies LaunchAttemptRecord);
      launch.onFallback?.(type ?? '', types[typeIndex] ?? '', errorMessage(err));
    }
  }
}

/** A worker's role as its tags name it (tagsFor). */
export type WorkerRole = 'zsat' | 'zimporter';

/** How errors and logs name a worker of a role. */
export function workerLabel(role: WorkerRole): 'zSAT' | 'ZImporter' {
  return role === 'zsat' ? 'zSAT' : 'ZImporter';
}

/** What tells the two roles apart wherever their workers are handled alike (workers/spawn.ts, workers/poll.ts). */
export interface WorkerKind {
  readonly role: WorkerRole;
  /** The role's error class (SyncFailed, FailbackFailed). */
  readonly fail: (message: string) => Error;
  /** Its job as a missing one is named ('read job', 'import job'). */
  readonly jobName: string;
  /** What its agent does to its volumes ('read', 'write'), named when the instance stops before the end. */
  readonly work: string;
  /**
   * The total counted at spawn stands while the agent reports 0 (a zSAT's plan is known before its agent has
   * counted it); otherwise the agent's count is the only one (a ZImporter's, 0 until it has resolved its checkpoint).
   */
  readonly plannedTotal: boolean;
}

/** One worker (zSAT or ZImporter) to launch for its job: the request both roles build the same way. */
export interface WorkerLaunch {
  readonly role: WorkerRole;
  readonly index: number;
  readonly siteId: string;
  readonly bucket: string;
  /** The worker's job: named in its instance tag (the agent reads it), its launch record beside it. */
  readonly jobKey: string;
  readonly launchTemplateId: string;
  readonly instanceTypes: readonly string[];
  readonly clientToken: string;
  readonly placement: WorkerPlacement;
  readonly securityGroupId?: string;
  readonly instanceProfileArn?: string;
  /** The execution's tags every resource of the worker carries besides ZERTO_TAG/Owner/role. */
  readonly bookkeeping: Tags;
}

export interface WorkerLaunchDeps {
  readonly ec2: { runInstance(request: RunInstanceRequest): Promise<InstanceInfo> };
  readonly store: LaunchRecordStore;
  readonly log: StepLog;
}

export function launchWorker(w: WorkerLaunch, deps: WorkerLaunchDeps): Promise<InstanceInfo> {
  const name = workerLabel(w.role);
  return launchWithFallback({
    instanceTypes: w.instanceTypes,
    clientToken: w.clientToken,
    recordKey: launchRecordKey(w.jobKey),
    store: deps.store,
    onFallback: (from, to, why) => deps.log.warn(`${name} instance type passed over`, { index: w.index, from, to, why }),
    run: (instanceType, clientToken) =>
      deps.ec2.runInstance({
        launchTemplateId: w.launchTemplateId,
        instanceType,
        subnetId: w.placement.subnetId,
        publicIp: w.placement.publicIp,
        securityGroupId: w.securityGroupId,
        instanceProfileArn: w.instanceProfileArn,
        clientToken,
        instanceTags: tagsFor(w.siteId, w.role, 'instance', { ...w.bookkeeping, [TAG.agentJob]: formatS3Url(w.bucket, w.jobKey) }),
        volumeTags: tagsFor(w.siteId, w.role, 'volume', w.bookkeeping),
        networkInterfaceTags: tagsFor(w.siteId, w.role, 'network-interface', w.bookkeeping),
      }),
  });
}

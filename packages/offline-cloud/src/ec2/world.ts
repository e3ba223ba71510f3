/**
 * What every EC2 action handler shares: the model, storage, timers, the boot manager, and the
 * cross-cutting rules (ClientToken idempotency, eventual consistency, TagSpecifications).
 */
import { createHash } from 'node:crypto';
import type { CloudTimers } from '../clock';
import type { CloudContext } from '../context';
import { AwsError } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import type { KmsBridge } from '../kms/index';
import type { KmsOutcome } from './ebs-encryption';
import type { Ec2Model } from './model';
import type { Query, Tag, TagSpec } from './query';
import type { XmlObject } from './xml';

export interface InstanceProcesses {
  /** Boots the guest: its user data script runs (once per instance; again after a cloud restart). */
  boot(instanceId: string, opts?: { afterRestart?: boolean }): void;
  kill(instanceId: string): boolean;
  /** Re-creates the device links of the instance's attached volumes. */
  refreshDevices(instanceId: string): void;
}

export interface World {
  readonly ctx: CloudContext;
  readonly storage: VolumeStorage;
  model: Ec2Model;
  /** Fire at a cloud time (the cloud clock's scale applies). */
  readonly timers: CloudTimers;
  readonly processes: InstanceProcesses;
  /** Instance types offered per zone, where a test replaced the default (src/ec2/capacity.ts). */
  readonly offerings: Record<string, readonly string[]>;
  /** KMS, which EBS calls on the caller's behalf (ebs-encryption.ts); unset: volumes are encrypted without keys being checked. */
  readonly kms?: KmsBridge;
  /** What KMS said about the request being handled (set by the service just before its handler runs). */
  kmsOutcome?: KmsOutcome;
}

export type ActionHandler = (q: Query, w: World) => XmlObject;

export const GIB = 1024 * 1024 * 1024;

export function nowIso(w: World): string {
  return w.ctx.clock.nowIso();
}

/**
 * ClientToken idempotency: a repeat with the same parameters answers the first result's id; with other
 * parameters it is IdempotentParameterMismatch. Returns undefined when there is no token or it is new.
 */
export function priorResult(w: World, action: string, q: Query): string | undefined {
  const token = q.str('ClientToken');
  if (!token) return undefined;
  if (token.length > 64) throw new AwsError('InvalidParameterValue', 'ClientToken must be at most 64 characters');
  const seen = w.model.clientTokens[`${action}:${token}`];
  if (!seen) return undefined;
  if (seen.fingerprint !== fingerprint(q)) {
    throw new AwsError('IdempotentParameterMismatch', `The client token '${token}' was used with different parameters.`);
  }
  return seen.resultId;
}

export function rememberResult(w: World, action: string, q: Query, resultId: string): void {
  const token = q.str('ClientToken');
  if (token) w.model.clientTokens[`${action}:${token}`] = { fingerprint: fingerprint(q), resultId };
}

function fingerprint(q: Query): string {
  const parts = q.entries(['ClientToken', 'Action', 'Version', 'DryRun']);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Eventual consistency fault: a resource this new is not yet visible to Describe*. */
export function notYetVisible(w: World, createdAt: number): boolean {
  return w.ctx.faults.consistencyMs > 0 && w.ctx.clock.now() - createdAt < w.ctx.faults.consistencyMs;
}

export function countConsistencyFault(w: World): void {
  w.ctx.faultCounts.consistency = (w.ctx.faultCounts.consistency ?? 0) + 1;
}

/**
 * Tags a create call applies to `resourceType` from its TagSpecifications; a spec naming a type this
 * call cannot tag is an InvalidParameterValue, as in AWS.
 */
export function tagsFromSpecs(specs: readonly TagSpec[], resourceType: string, allowed: readonly string[]): Tag[] {
  const tags: Tag[] = [];
  for (const spec of specs) {
    if (!allowed.includes(spec.resourceType)) {
      throw new AwsError('InvalidParameterValue', `'${spec.resourceType}' is not a valid taggable resource type for this operation.`);
    }
    if (spec.resourceType === resourceType) tags.push(...spec.tags);
  }
  validateTags(tags);
  return tags;
}

export function validateTags(tags: readonly Tag[]): void {
  for (const t of tags) {
    if (!t.Key) throw new AwsError('InvalidParameterValue', 'Tag key must not be empty');
    if (t.Key.toLowerCase().startsWith('aws:')) {
      throw new AwsError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use`);
    }
  }
  if (tags.length > 50) throw new AwsError('TagLimitExceeded', 'The maximum number of tags for a resource is 50');
}

export function availabilityZones(w: World): string[] {
  return ['a', 'b', 'c'].map((s) => `${w.ctx.region}${s}`);
}

/**
 * A zone's AZ ID in AWS's spelling (use1-az1, euw1-az2, apse2-az1): the same physical zone in every account.
 * Known difference: AWS maps zone names to AZ IDs differently per account; here zone `a` is az1 everywhere.
 * https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
 */
export function zoneIdOf(zone: string): string {
  const [area, direction, digit] = zone.slice(0, -1).split('-');
  const short = direction
    .replace(/^(north|south)(east|west)$/, (_, a: string, b: string) => a[0] + b[0])
    .replace(/^(north|south|east|west|central)$/, (d: string) => d[0]);
  return `${area}${short}${digit}-az${zone.slice(-1).charCodeAt(0) - 96}`;
}

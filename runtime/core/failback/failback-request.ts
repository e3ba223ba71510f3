/**
 * The failback execution's input: validated once, with a cause that names the field and what is allowed,
 * and the checkpoint it names resolved against the VPG's committed checkpoints. Pure.
 */
import { InvalidInput } from '../errors';
import { failbackRequestSchema, type FailbackRequest, type FailbackTarget, type RecoveryRuntime } from './contract';
import type { CheckpointSummary } from '../store/port';

/** The request is wrong: the execution fails at once with this message (never retried). */
export class FailbackInputError extends InvalidInput {
  override readonly name: string = 'InvalidFailbackInput';
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let here = root;
  for (const p of path) here = here !== null && typeof here === 'object' ? (here as Record<PropertyKey, unknown>)[p as string] : undefined;
  return here;
}

/**
 * The Step Functions console pre-fills a new execution's input with `{"Comment": "Insert your JSON here"}`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-starting.html): a top-level string `Comment`
 * is a person's note, as in ASL itself, not a field. Anything else unknown is still refused.
 */
function withoutComment(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const { Comment: comment, ...rest } = input as Record<string, unknown>;
  return typeof comment === 'string' ? rest : input;
}

/** Parses the execution input; an empty input (the console's `{}`, or its pre-filled Comment) means checkpoint latest, mode test. */
export function parseFailbackRequest(given: unknown): FailbackRequest {
  const input = withoutComment(given);
  const parsed = failbackRequestSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.flatMap((issue) => {
    const where = issue.path.length ? issue.path.map(String).join('.') : '(input)';
    if (issue.code === 'unrecognized_keys') {
      const allowed = issue.path.length === 0 ? 'checkpoint, mode, target' : 'subnetId, securityGroupIds, instanceType, privateIps';
      return issue.keys.map((k) => `${issue.path.length ? `${where}.` : ''}${k}: is not a known field; allowed: ${allowed}`);
    }
    const got = valueAt(input, issue.path);
    return [`${where}: ${issue.message}${got === undefined ? '' : ` (got ${describe(got)})`}`];
  });
  throw new FailbackInputError(`invalid failback input: ${problems.join('; ')}`);
}

/** The VPG's recovery network mapping with the request's overrides applied (privateIps merged per instance). */
export function effectiveTarget(recovery: RecoveryRuntime, overrides: FailbackTarget | undefined): FailbackTarget {
  const o = overrides ?? {};
  const privateIps = { ...(recovery.privateIps ?? {}), ...(o.privateIps ?? {}) };
  return {
    ...((o.subnetId ?? recovery.subnetId) ? { subnetId: o.subnetId ?? recovery.subnetId } : {}),
    ...((o.securityGroupIds ?? recovery.securityGroupIds) ? { securityGroupIds: [...(o.securityGroupIds ?? recovery.securityGroupIds ?? [])] } : {}),
    ...(o.instanceType ? { instanceType: o.instanceType } : {}),
    ...(Object.keys(privateIps).length ? { privateIps } : {}),
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NEAREST = 3;

const label = (c: CheckpointSummary) => `${c.id} (${c.createdAt})`;

/** The nearest checkpoints before and after a time, for a cause a person can act on. */
export function nearestCheckpoints(checkpoints: readonly CheckpointSummary[], time: number): string {
  const before = checkpoints.filter((c) => Date.parse(c.createdAt) <= time).slice(-NEAREST);
  const after = checkpoints.filter((c) => Date.parse(c.createdAt) > time).slice(0, NEAREST);
  const parts = [];
  if (before.length) parts.push(`before: ${before.map(label).join(', ')}`);
  if (after.length) parts.push(`after: ${after.map(label).join(', ')}`);
  return parts.join('; ');
}

/** The time a checkpoint id encodes (cp-yyyymmddThhmmssZ-…), or NaN. */
function idTime(id: string): number {
  const m = /^cp-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(id);
  return m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : Number.NaN;
}

/**
 * "latest", a checkpoint id, or an ISO time (the last checkpoint at or before it) → the checkpoint.
 * `checkpoints` are the VPG's committed checkpoints, oldest first.
 */
export function resolveCheckpoint(spec: string, checkpoints: readonly CheckpointSummary[], vpg: string): CheckpointSummary {
  if (checkpoints.length === 0) throw new FailbackInputError(`checkpoint: VPG ${vpg} has no committed checkpoint yet; run a sync first`);
  const first = checkpoints[0];
  if (spec === 'latest') return checkpoints[checkpoints.length - 1];
  const exact = checkpoints.find((c) => c.id === spec);
  if (exact) return exact;
  if (spec.startsWith('cp-')) {
    const t = idTime(spec);
    const near = Number.isNaN(t) ? `latest: ${checkpoints.slice(-NEAREST).map(label).join(', ')}` : `nearest ${nearestCheckpoints(checkpoints, t)}`;
    throw new FailbackInputError(`checkpoint: ${spec} is not a committed checkpoint of VPG ${vpg}; ${near}`);
  }
  const time = ISO_TIME.test(spec) ? Date.parse(spec) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new FailbackInputError(`checkpoint: must be "latest", a checkpoint id (cp-…) or an ISO time such as "2026-01-31T12:00:00Z" (got ${describe(spec)})`);
  }
  const atOrBefore = checkpoints.filter((c) => Date.parse(c.createdAt) <= time);
  if (atOrBefore.length === 0) {
    throw new FailbackInputError(
      `checkpoint: ${spec} is before the first checkpoint of VPG ${vpg}, ${first.id} taken at ${first.createdAt}; give that time or later`,
    );
  }
  return atOrBefore[atOrBefore.length - 1];
}

/** The failback cannot continue; the message is the readable cause the failed execution shows. */
export class FailbackFailed extends Error {
  override readonly name: string = 'FailbackFailed';
}

/**
 * Identifiers a sync derives rather than invents, so a retried step finds what its first attempt made:
 * the sync id comes from the execution id, job ids and client tokens from the sync id.
 */
import { createHash } from 'node:crypto';

/**
 * 's' + 12 hex digits of SHA-256(execution id): short enough for client tokens, stable across retries. A
 * continuation (an execution named `continuationName(syncId, n)`) carries on its sync's id, so whatever names
 * the running continuation (the sweeper, a cleanup, the execution proof) names the sync it carries on.
 */
export function deriveSyncId(executionId: string): string {
  return continuationOf(executionId)?.syncId ?? `s${createHash('sha256').update(executionId).digest('hex').slice(0, 12)}`;
}

const CONTINUATION_NAME = /^(s[0-9a-f]{12})-c([1-9][0-9]{0,5})$/;

/**
 * The execution name of a sync's n-th continuation (runtime/core/sync/continue.ts): derived, so a retried
 * hand-over starts the same execution (StartExecution with the same name and input is idempotent), and the
 * lease can name it before it exists. 20 characters at most, far inside Step Functions' 80.
 */
export function continuationName(syncId: string, n: number): string {
  return `${syncId}-c${n}`;
}

/** The sync id and place in the chain of a continuation's execution (ARN or name); null for any other execution. */
export function continuationOf(executionId: string): { readonly syncId: string; readonly n: number } | null {
  const m = CONTINUATION_NAME.exec(executionName(executionId));
  return m ? { syncId: m[1], n: Number(m[2]) } : null;
}

/** The name of an execution, from its ARN (`arn:aws:states:…:execution:<machine>:<name>`). */
export function executionName(executionArn: string): string {
  const parts = executionArn.split(':');
  return parts[parts.length - 1] ?? executionArn;
}

export function zsatJobId(syncId: string, index: number): string {
  return `${syncId}-z${index}`;
}

/** EC2 client tokens are at most 64 ASCII characters; longer inputs are hashed down. */
function clientToken(raw: string): string {
  return raw.length <= 64 ? raw : `t${createHash('sha256').update(raw).digest('hex').slice(0, 40)}`;
}

export function zsatVolumeClientToken(syncId: string, sourceVolumeId: string): string {
  return clientToken(`${syncId}-${sourceVolumeId}`);
}

export function zsatInstanceClientToken(syncId: string, index: number): string {
  return clientToken(`${syncId}-zsat-${index}`);
}

/**
 * Identifiers a sync derives rather than invents, so a retried step finds what its first attempt made:
 * the sync id comes from the execution id, job ids and client tokens from the sync id.
 */
import { createHash } from 'node:crypto';

/** 's' + 12 hex digits of SHA-256(execution id): short enough for client tokens, stable across retries. */
export function deriveSyncId(executionId: string): string {
  return `s${createHash('sha256').update(executionId).digest('hex').slice(0, 12)}`;
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

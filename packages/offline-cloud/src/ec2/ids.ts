/** EC2-shaped resource ids: a prefix and 17 lowercase hex digits, as AWS issues them today. */
import { randomBytes } from 'node:crypto';
import { AwsError } from '../service';

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function newRequestId(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

/** AWS rejects a syntactically wrong instance id before looking it up. */
export function checkInstanceIds(ids: readonly string[]): void {
  const bad = ids.find((id) => !INSTANCE_ID.test(id));
  if (bad !== undefined) throw new AwsError('InvalidInstanceID.Malformed', `Invalid id: "${bad}"`);
}

export function randomMac(): string {
  const b = randomBytes(5);
  return ['02', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

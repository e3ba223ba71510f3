/** Small request/response helpers shared by the EBS handlers. */
import type { CloudResponse } from '../service';
import { EbsError, snapshotNotFound, validation } from './ebs-errors';
import type { SnapshotRecordView, SnapshotRegistry } from './snapshot-registry';

export const EBS_BLOCK_SIZE = 524288;
/** Blocks per GiB of volume. */
export const BLOCKS_PER_GIB = (1024 * 1024 * 1024) / EBS_BLOCK_SIZE;

export function json(status: number, value: unknown): CloudResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** An optional non-negative integer (query parameter or header). */
export function optionalInt(raw: string | string[] | undefined | null, name: string): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const text = Array.isArray(raw) ? raw[0] : raw;
  if (!/^\d{1,15}$/.test(text)) throw validation('INVALID_PARAMETER_VALUE', `The value '${text}' of ${name} is not a valid non-negative integer.`);
  return Number(text);
}

export function requiredInt(raw: string | string[] | undefined | null, name: string): number {
  const value = optionalInt(raw, name);
  if (value === undefined) throw validation('INVALID_PARAMETER_VALUE', `${name} is required.`);
  return value;
}

export function header(raw: string | string[] | undefined): string | undefined {
  return Array.isArray(raw) ? raw[0] : raw;
}

/** The snapshot, which must exist and belong to this account. */
export function requireSnapshot(snapshots: SnapshotRegistry, snapshotId: string, accountId: string): SnapshotRecordView {
  const record = snapshots.get(snapshotId);
  if (!record) throw snapshotNotFound(snapshotId);
  if (record.ownerId !== accountId) {
    throw new EbsError('AccessDeniedException', `You are not authorized to access snapshot '${snapshotId}'.`, 'UNAUTHORIZED_ACCOUNT');
  }
  return record;
}

export function epochSeconds(date: Date | string): number {
  return new Date(date).getTime() / 1000;
}

/** base64 of the SHA-256 whose hex is given: the checksum the EBS direct APIs exchange. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

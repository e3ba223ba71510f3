/**
 * Store keys that coordinate writers and readers of one VPG (beside the replica format's packs, checkpoints and
 * working files): the lease, the readers in flight, notes of packs a failed sync may have orphaned, and the
 * sources a person confirmed left the VPG on purpose. docs/reliability.md describes who may write each.
 */
import { assertKeySegment, vpgPrefix } from './format';

/** The VPG lease (runtime/core/lease/vpg-lease.ts): written only with If-None-Match / If-Match, never deleted. */
export function leaseKey(vpg: string): string {
  return `${vpgPrefix(vpg)}lease.json`;
}

/** Readers of checkpoints (test failbacks, exports): compaction leaves what they read alone. */
export function readersPrefix(vpg: string): string {
  return `${vpgPrefix(vpg)}readers/`;
}
export function readerKey(vpg: string, readerId: string): string {
  return `${readersPrefix(vpg)}${assertKeySegment('reader id', readerId)}.json`;
}

/** A failed sync's note that packs it wrote may be referenced by nothing: the next compaction collects them. */
export function gcPrefix(vpg: string): string {
  return `${vpgPrefix(vpg)}gc/`;
}
export function gcNoteKey(vpg: string, syncId: string): string {
  return `${gcPrefix(vpg)}${assertKeySegment('sync id', syncId)}.json`;
}

/** A protected instance or volume a person confirmed left the VPG on purpose (lifeboat release). */
export function releasedPrefix(vpg: string): string {
  return `${vpgPrefix(vpg)}released/`;
}
export function releasedKey(vpg: string, sourceId: string): string {
  return `${releasedPrefix(vpg)}${assertKeySegment('source id', sourceId)}.json`;
}

/** The id in the last segment of a `<prefix><id>.json` key, or null. */
export function idOfJsonKey(prefix: string, key: string): string | null {
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return null;
  const id = key.slice(prefix.length, -'.json'.length);
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) ? id : null;
}

/**
 * Checkpoint manifests validated on read: whatever the store holds (a hand edit, a bad copy, a bug) is checked
 * against the format before any chain, restore or export uses it. Pure. The rules accept exactly what
 * Lifeboat writes (buildManifest, journal compaction's rewrite); docs/store-format.md lists them for people.
 */
import { ZERO_BLOCK } from '../workers/agent-job';
import { DomainError } from '../errors';
import { assertKeySegment, blockCount, blockIndexOf, isSha256Hex, STORE_FORMAT } from './format';
import type { CheckpointManifest } from './port';
import { instancesProblem } from './instance-facts';

export interface CorruptManifestDetails {
  readonly vpg: string;
  readonly checkpointId: string;
  /** The volume whose entry is bad; null when the problem is not inside one volume. */
  readonly sourceVolumeId: string | null;
  /** The bad block key or field name; null when the manifest as a whole is unusable (not JSON, not an object). */
  readonly key: string | null;
  readonly reason: string;
}

/** A manifest that does not follow the format: nothing may be restored, exported or built on from it. */
export class CorruptManifest extends DomainError {
  override readonly name: string = 'CorruptManifest';
  readonly vpg: string;
  readonly checkpointId: string;
  readonly sourceVolumeId: string | null;
  readonly key: string | null;

  constructor(details: CorruptManifestDetails) {
    const where = `checkpoint ${details.checkpointId} of VPG ${details.vpg}${details.sourceVolumeId ? `, volume ${details.sourceVolumeId}` : ''}`;
    super(
      `CorruptManifest: ${where}: ${details.reason}. The manifest is damaged: restore its earlier version (S3 versioning) ` +
        'or a backup of it, or use another checkpoint (the checkpoints built on this one need it too)',
    );
    this.vpg = details.vpg;
    this.checkpointId = details.checkpointId;
    this.sourceVolumeId = details.sourceVolumeId;
    this.key = details.key;
  }
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const show = (v: unknown) => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function isSegment(v: unknown): v is string {
  try {
    return typeof v === 'string' && assertKeySegment('id', v) === v;
  } catch {
    return false;
  }
}

/**
 * The manifest stored as checkpoint `expect.checkpointId` of `expect.vpg`, checked; throws CorruptManifest naming
 * the checkpoint, the volume and the bad key or field. Block keys must be canonical indexes below the volume's
 * block count, every ref `"zero"` or a SHA-256, ids and sizes well formed, and `parentId` null exactly when `full`.
 */
export function validateManifest(raw: unknown, expect: { vpg: string; checkpointId: string }): CheckpointManifest {
  const base = { vpg: expect.vpg, checkpointId: expect.checkpointId };
  const fail = (key: string | null, reason: string, sourceVolumeId: string | null = null) => new CorruptManifest({ ...base, sourceVolumeId, key, reason });
  if (!isObject(raw)) throw fail(null, `the manifest is ${show(raw)}, not a JSON object`);
  if (raw.format !== STORE_FORMAT) throw fail('format', `format is ${show(raw.format)}, not ${STORE_FORMAT}`);
  if (raw.id !== expect.checkpointId) throw fail('id', `its id is ${show(raw.id)}, not the id its key names`);
  if (raw.vpg !== expect.vpg) throw fail('vpg', `its vpg is ${show(raw.vpg)}, not ${expect.vpg}`);
  if (typeof raw.syncId !== 'string' || raw.syncId === '') throw fail('syncId', `syncId is ${show(raw.syncId)}, not a sync id`);
  if (typeof raw.createdAt !== 'string' || Number.isNaN(Date.parse(raw.createdAt)))
    throw fail('createdAt', `createdAt is ${show(raw.createdAt)}, not an ISO time`);
  if (typeof raw.full !== 'boolean') throw fail('full', `full is ${show(raw.full)}, not true or false`);
  if (raw.parentId !== null && !isSegment(raw.parentId)) throw fail('parentId', `parentId is ${show(raw.parentId)}, neither null nor a checkpoint id`);
  if (raw.parentId === raw.id) throw fail('parentId', 'it names itself as its parent');
  if (raw.full !== (raw.parentId === null)) {
    throw fail('parentId', raw.full ? `it is full yet has parent ${show(raw.parentId)}` : 'it is a delta (full: false) with no parent');
  }
  if (!Array.isArray(raw.volumes)) throw fail('volumes', `volumes is ${show(raw.volumes)}, not a list`);
  const seen = new Set<string>();
  raw.volumes.forEach((volume: unknown, i: number) => {
    if (!isObject(volume)) throw fail(`volumes[${i}]`, `volume entry ${i} is ${show(volume)}, not an object`);
    const id = volume.sourceVolumeId;
    if (typeof id !== 'string' || id === '') throw fail(`volumes[${i}].sourceVolumeId`, `volume entry ${i} has sourceVolumeId ${show(id)}`);
    if (seen.has(id)) throw fail('sourceVolumeId', 'the volume is listed twice', id);
    seen.add(id);
    for (const field of ['sourceInstanceId', 'device', 'snapshotId'] as const) {
      if (typeof volume[field] !== 'string') throw fail(field, `${field} is ${show(volume[field])}, not a string`, id);
    }
    if (volume.kmsKeyId !== undefined && typeof volume.kmsKeyId !== 'string')
      throw fail('kmsKeyId', `kmsKeyId is ${show(volume.kmsKeyId)}, not a KMS key ARN string`, id);
    for (const field of ['sizeBytes', 'blocksChanged', 'blocksRead', 'bytesStored'] as const) {
      if (!isCount(volume[field])) throw fail(field, `${field} is ${show(volume[field])}, not a non-negative integer`, id);
    }
    if (volume.volumeType !== undefined && (typeof volume.volumeType !== 'string' || volume.volumeType === ''))
      throw fail('volumeType', `volumeType is ${show(volume.volumeType)}, not an EBS volume type`, id);
    for (const field of ['iops', 'throughput'] as const) {
      if (volume[field] !== undefined && !(isCount(volume[field]) && volume[field] > 0))
        throw fail(field, `${field} is ${show(volume[field])}, not a positive integer`, id);
    }
    checkBlocks(volume.blocks, blockCount(volume.sizeBytes as number), (key, reason) => fail(key, reason, id));
  });
  // launch facts are optional (older manifests have none); present, they must be well formed and name the volumes' instances
  const owners = new Set((raw.volumes as Json[]).map((v) => v.sourceInstanceId as string));
  const bad = instancesProblem(raw.instances, owners);
  if (bad) throw fail(bad.key, bad.reason);
  return raw as unknown as CheckpointManifest;
}

function checkBlocks(blocks: unknown, limit: number, fail: (key: string, reason: string) => CorruptManifest): void {
  if (!isObject(blocks)) throw fail('blocks', `blocks is ${show(blocks)}, not a map of block index to hash`);
  for (const key of Object.keys(blocks)) {
    const index = blockIndexOf(key);
    if (index === null)
      throw fail(key, `block key ${show(key)} is not a canonical block index (a non-negative decimal integer, no sign, leading zero, fraction or exponent)`);
    if (index >= limit) throw fail(key, `block key ${show(key)} is past the volume's ${limit} blocks`);
    const ref = blocks[key];
    if (ref !== ZERO_BLOCK && !(typeof ref === 'string' && isSha256Hex(ref))) {
      throw fail(key, `block ${key} refers to ${show(ref)}, neither "zero" nor a SHA-256 (64 lowercase hex digits)`);
    }
  }
}

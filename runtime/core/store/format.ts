/**
 * The replica store format, once: object keys, checkpoint ids, manifest building, and the
 * import result shape. Pure (no I/O). docs/store-format.md describes the same layout for people.
 *
 * Layout (bucket-relative keys, one VPG's prefix is `vpgs/<vpg>/`):
 *   packs/<packId>.pack                 concatenated 512 KiB blocks; packId names the content (docs/store-format.md, "Pack ids")
 *   packs/<packId>.idx.json             { format: 1, blocks: [{ hash, offset, length }] }
 *   checkpoints/<checkpointId>.summary.json  the manifest without block maps (written first; ignored alone)
 *   checkpoints/<checkpointId>.json     the manifest (written last: its presence is the commit)
 *   syncs/<syncId>/facts.json, plans/<volumeId>.json, jobs/<jobId>.json, progress/<jobId>.json, results/<jobId>.json
 *   imports/<executionId>/launch.json, jobs/<jobId>.json, progress/<jobId>.json, results/<jobId>.json
 */
import { BLOCK_SIZE, ZERO_BLOCK, type AgentResult, type BlockRef } from '../workers/agent-job';
import { assertName } from '../names';
import type { CheckpointManifest, CheckpointSummary, CheckpointVolume } from './port';
import type { CheckpointInstance } from './instance-facts';

export const STORE_FORMAT = 1;
/**
 * Default pack size: large enough to keep request costs low (each pack is 2 PUTs; 32 MiB against 16 MiB
 * measured 5% more read throughput on 2 cores, the SDK's per-request work halved), small enough to retry
 * cheaply. Compaction deletes a pack only when none of its blocks is live, so larger packs keep dead
 * blocks a little longer.
 */
export const PACK_TARGET_BYTES = 32 * 1024 * 1024;

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Every name that becomes one key segment: no '/', no '..', bounded. */
export function assertKeySegment(kind: string, value: string): string {
  if (!SAFE_NAME.test(value) || value.includes('..')) throw new Error(`invalid ${kind} for a store key: ${JSON.stringify(value)}`);
  return value;
}

export function isSha256Hex(value: string): boolean {
  return HEX64.test(value);
}

/** A VPG's part of the store. Its name follows the rule the config and the step environment use (names.ts). */
export function vpgPrefix(vpg: string): string {
  return `vpgs/${assertName('VPG name', vpg)}/`;
}

// ---- packs ----
export function packsPrefix(vpg: string): string {
  return `${vpgPrefix(vpg)}packs/`;
}
export function packKey(vpg: string, packId: string): string {
  return `${packsPrefix(vpg)}${assertPackId(packId)}.pack`;
}
export function packIndexKey(vpg: string, packId: string): string {
  return `${packsPrefix(vpg)}${assertPackId(packId)}.idx.json`;
}
/** The pack key relative to the VPG prefix, as AgentResult.packs lists it. */
export function relativePackKey(packId: string): string {
  return `packs/${assertPackId(packId)}.pack`;
}
function assertPackId(packId: string): string {
  if (!isSha256Hex(packId)) throw new Error(`invalid pack id (want 64 lowercase hex digits): ${JSON.stringify(packId)}`);
  return packId;
}
/** Pack id of a `.idx.json` key (bucket-relative or not), or null for any other key. */
export function packIdFromIndexKey(key: string): string | null {
  const m = /(?:^|\/)packs\/([0-9a-f]{64})\.idx\.json$/.exec(key);
  return m ? m[1] : null;
}

// ---- checkpoints ----
export function checkpointsPrefix(vpg: string): string {
  return `${vpgPrefix(vpg)}checkpoints/`;
}
export function checkpointKey(vpg: string, checkpointId: string): string {
  return `${checkpointsPrefix(vpg)}${assertKeySegment('checkpoint id', checkpointId)}.json`;
}
export function checkpointSummaryKey(vpg: string, checkpointId: string): string {
  return `${checkpointsPrefix(vpg)}${assertKeySegment('checkpoint id', checkpointId)}.summary.json`;
}
/**
 * Checkpoint id of a committed manifest key; null for summaries and anything else, including a name that is
 * not one of Lifeboat's ids (a person's copy `cp-… (1).json`, `notes.json`): such an object is a stray, never a checkpoint.
 */
export function checkpointIdFromKey(key: string): string | null {
  const m = /(?:^|\/)checkpoints\/([^/]+)\.json$/.exec(key);
  return m && isCheckpointId(m[1]) ? m[1] : null;
}

/** Whether `id` has the shape checkpointIdFor gives: `cp-<yyyymmdd>T<hhmmss>Z-<1 to 8 of [a-z0-9]>`. */
export function isCheckpointId(id: string): boolean {
  return /^cp-\d{8}T\d{6}Z-[a-z0-9]{1,8}$/.test(id);
}

/**
 * `cp-<UTC yyyymmddThhmmssZ>-<short sync id>`: ids sort as their times do (same-second ties by sync id).
 * The short sync id is the sync id's last 8 alphanumerics, lower-cased (execution names end in their unique part).
 */
export function checkpointIdFor(createdAt: string | Date, syncId: string): string {
  const time = typeof createdAt === 'string' ? new Date(createdAt) : createdAt;
  if (Number.isNaN(time.getTime())) throw new Error(`invalid checkpoint time: ${String(createdAt)}`);
  const stamp = time
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  const short =
    syncId
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(-8) || 'sync';
  return `cp-${stamp}-${short}`;
}
/** The ISO time encoded in a checkpoint id (second precision), or null when it is not one of ours. */
export function checkpointTimeFromId(checkpointId: string): string | null {
  const m = /^cp-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(checkpointId);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

// ---- sync and import working files ----
export function syncPrefix(vpg: string, syncId: string): string {
  return `${vpgPrefix(vpg)}syncs/${assertKeySegment('sync id', syncId)}/`;
}
/** The protected instances' launch facts Begin saw (store/instance-facts.ts SyncFacts), for Commit's manifest. */
export function syncFactsKey(vpg: string, syncId: string): string {
  return `${syncPrefix(vpg, syncId)}facts.json`;
}
export function planKey(vpg: string, syncId: string, volumeId: string): string {
  return `${syncPrefix(vpg, syncId)}plans/${assertKeySegment('volume id', volumeId)}.json`;
}
export function syncJobKey(vpg: string, syncId: string, jobId: string): string {
  return `${syncPrefix(vpg, syncId)}jobs/${assertKeySegment('job id', jobId)}.json`;
}
export function syncProgressKey(vpg: string, syncId: string, jobId: string): string {
  return `${syncPrefix(vpg, syncId)}progress/${assertKeySegment('job id', jobId)}.json`;
}
export function syncResultKey(vpg: string, syncId: string, jobId: string): string {
  return `${syncPrefix(vpg, syncId)}results/${assertKeySegment('job id', jobId)}.json`;
}
/** Which instance type a worker's launch is at (runtime/core/workers/launch.ts), beside its job. */
export function launchRecordKey(jobKey: string): string {
  if (!jobKey.includes('/jobs/')) throw new Error(`not a worker job key: ${jobKey}`);
  return jobKey.replace('/jobs/', '/launches/');
}
export function importPrefix(vpg: string, executionId: string): string {
  return `${vpgPrefix(vpg)}imports/${assertKeySegment('execution id', executionId)}/`;
}
export function importJobKey(vpg: string, executionId: string, jobId: string): string {
  return `${importPrefix(vpg, executionId)}jobs/${assertKeySegment('job id', jobId)}.json`;
}
export function importProgressKey(vpg: string, executionId: string, jobId: string): string {
  return `${importPrefix(vpg, executionId)}progress/${assertKeySegment('job id', jobId)}.json`;
}
/** The launch facts of the instances an import recovers (Prepare writes them for LaunchRecovered: off the payload). */
export function importLaunchKey(vpg: string, executionId: string): string {
  return `${importPrefix(vpg, executionId)}launch.json`;
}
export function importResultKey(vpg: string, executionId: string, jobId: string): string {
  return `${importPrefix(vpg, executionId)}results/${assertKeySegment('job id', jobId)}.json`;
}

// ---- s3:// URLs (the agent's job location) ----
export function formatS3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(url.trim());
  if (!m) throw new Error(`not an s3://bucket/key URL: ${JSON.stringify(url)}`);
  return { bucket: m[1], key: m[2] };
}

// ---- manifests ----
/** What the sync knows about a volume besides its blocks (from Begin/CreateSnapshots). */
export interface VolumeMeta {
  readonly sourceVolumeId: string;
  readonly sourceInstanceId: string;
  readonly device: string;
  readonly sizeBytes: number;
  readonly snapshotId: string;
  /** The protected volume's KMS key, if encrypted: a failback encrypts the recovered volume under it. */
  readonly kmsKeyId?: string;
  readonly volumeType?: string;
  readonly iops?: number;
  readonly throughput?: number;
}

export interface BuildManifestInput {
  readonly vpg: string;
  readonly syncId: string;
  readonly createdAt: string;
  readonly parentId: string | null;
  /** True for the first sync: every volume's plan covered the whole allocated disk. */
  readonly full: boolean;
  readonly volumes: readonly VolumeMeta[];
  readonly results: readonly AgentResult[];
  /** The protected instances' launch facts; those without a volume in the checkpoint are left out. */
  readonly instances?: readonly CheckpointInstance[];
}

/** Merge the agents' results into one manifest. Every volume must be read by exactly one job (or none: no changes). */
export function buildManifest(input: BuildManifestInput): CheckpointManifest {
  const byVolume = new Map<string, AgentResult['volumes'][number]>();
  for (const result of input.results) {
    for (const v of result.volumes) {
      if (byVolume.has(v.sourceVolumeId)) throw new Error(`volume ${v.sourceVolumeId} was read by more than one job`);
      byVolume.set(v.sourceVolumeId, v);
    }
  }
  const known = new Set(input.volumes.map((v) => v.sourceVolumeId));
  for (const id of byVolume.keys()) if (!known.has(id)) throw new Error(`a job read volume ${id}, which is not in this sync`);
  const volumes: CheckpointVolume[] = input.volumes.map((meta) => {
    const read = byVolume.get(meta.sourceVolumeId);
    const blocks = read ? clipBlocks(read.blocks, meta.sizeBytes) : {};
    return {
      ...meta,
      blocksChanged: Object.keys(blocks).length,
      blocksRead: read?.blocksRead ?? 0,
      bytesStored: read?.bytesStored ?? 0,
      blocks,
    };
  });
  return {
    format: STORE_FORMAT,
    id: checkpointIdFor(input.createdAt, input.syncId),
    vpg: input.vpg,
    syncId: input.syncId,
    createdAt: new Date(input.createdAt).toISOString(),
    parentId: input.full ? null : input.parentId,
    full: input.full,
    volumes,
    ...instancesOf(input),
  };
}

function instancesOf(input: BuildManifestInput): { instances?: CheckpointInstance[] } {
  const owners = new Set(input.volumes.map((v) => v.sourceInstanceId));
  const instances = (input.instances ?? []).filter((i) => owners.has(i.instanceId));
  return instances.length > 0 ? { instances } : {};
}

export function blockCount(sizeBytes: number): number {
  return Math.ceil(sizeBytes / BLOCK_SIZE);
}

/**
 * The block index a map key names, or null unless the key is canonical: decimal digits, no sign, no leading
 * zero, no fraction, exponent, hex or white space (`"17"`, never `"-1"`, `"1.5"`, `"0x10"`, `"01"`, `" 1"`,
 * `"1e3"`). `Number()` alone accepts all of those, and `"-1"` would then overwrite block 0.
 */
export function blockIndexOf(key: string): number | null {
  const n = Number(key);
  return Number.isSafeInteger(n) && n >= 0 && String(n) === key ? n : null;
}

function clipBlocks(blocks: Readonly<Record<string, BlockRef>>, sizeBytes: number): Record<string, BlockRef> {
  const limit = blockCount(sizeBytes);
  const out: Record<string, BlockRef> = {};
  for (const [index, ref] of Object.entries(blocks)) {
    const n = blockIndexOf(index);
    if (n === null) throw new Error(`invalid block index ${JSON.stringify(index)} in an agent result (want a canonical non-negative integer)`);
    if (ref !== ZERO_BLOCK && !isSha256Hex(ref))
      throw new Error(`block ${n} refers to ${JSON.stringify(ref)} in an agent result, neither "zero" nor a SHA-256`);
    if (n >= limit) throw new Error(`block ${n} is beyond the volume's ${limit} blocks`);
    out[index] = ref;
  }
  return out;
}

export function summarize(manifest: CheckpointManifest): CheckpointSummary {
  return {
    id: manifest.id,
    createdAt: manifest.createdAt,
    parentId: manifest.parentId,
    volumes: manifest.volumes.map(({ blocks: _blocks, ...rest }) => rest),
    ...(manifest.instances ? { instances: manifest.instances } : {}),
  };
}

// ---- import results (ZImporter → failback steps) ----
export interface ImportVolumeResult {
  readonly volumeId: string;
  readonly sourceVolumeId: string;
  readonly checkpointId: string;
  readonly blocksWritten: number;
  readonly bytesWritten: number;
  /** Written with direct I/O (O_DIRECT): not through the page cache, except where the filesystem fakes it (tmpfs). */
  readonly directIo?: boolean;
}
export interface ImportResult {
  readonly jobId: string;
  readonly volumes: readonly ImportVolumeResult[];
}

/**
 * ReplicaStorePort over S3 (plus what the agent and export need: packs, hash locations, verified block reads).
 * The format (keys, manifests, chains) is runtime/core's; plain object reads and writes are s3-objects.ts'.
 */
import { createHash } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BlockRef } from '../core/workers/agent-job';
import type { CheckpointManifest, CheckpointSummary, ReplicaStorePort } from '../core/store/port';
import { checkpointKey, checkpointsPrefix, checkpointSummaryKey, packIndexKey, packKey, packsPrefix, summarize } from '../core/store/format';
import {
  buildHashLocations,
  decodePackIndex,
  encodePackIndex,
  hashesNamedIn,
  sameEntries,
  type BlockLocation,
  type PackIndex,
  type PackIndexEntry,
} from '../core/store/pack-index';
import { resolveBlockMap } from '../core/store/chain';
import { CorruptManifest, validateManifest } from '../core/store/validation';
import { instancesProblem } from '../core/store/instance-facts';
import {
  brokenChainProblems,
  packMissing,
  sortCheckpointListing,
  sortPackListing,
  unreadableIndex,
  type PackObject,
  type StoreProblem,
} from '../core/store/problems';
import { makeS3Client } from './s3-client';
import {
  AlreadyExists,
  BrokenChain,
  CorruptBlock,
  isConditionalConflict,
  isNotFound,
  isPreconditionFailed,
  MissingBlock,
  ReplicaStoreError,
  storeError,
} from './s3-errors';
import { S3Objects } from './s3-objects';

export interface S3ReplicaStoreOptions {
  readonly bucket: string;
  readonly client?: S3Client;
  /** Parallel GETs when loading many small objects (pack indexes, summaries). */
  readonly readConcurrency?: number;
  /**
   * Told once per object of each problem the store skips (a stray name, an unreadable pack index): the VPG
   * keeps working without it. Default: one JSON warning line on stderr.
   */
  readonly onProblem?: (vpg: string, problem: StoreProblem) => void;
}

/** The packs of a VPG as one listing and its index reads found them. */
export interface PackIndexListing {
  /** Valid indexes whose pack object is there and long enough, by pack id. */
  readonly indexes: Map<string, PackIndex>;
  /** Every pack seen under packs/, with its size and time. */
  readonly objects: PackObject[];
  /** Strays and disabled packs. */
  readonly problems: StoreProblem[];
}

interface DisabledPack {
  readonly reason: string;
  /** The hashes its index still names, when it names any. */
  readonly hashes: ReadonlySet<string>;
}

/**
 * The default onProblem: one JSON line on stderr with the field names of the steps' and the agent's logs (`level`,
 * `message`, `timestamp`). Raw stderr, not console.warn: in a Lambda function with the JSON log format the runtime's
 * patched console would wrap the line into its own JSON.
 */
const warnProblem = (vpg: string, problem: StoreProblem) => {
  const line = { level: 'WARN', message: 'replica store: skipped a damaged or unknown object', timestamp: new Date().toISOString(), vpg, ...problem };
  process.stderr.write(`${JSON.stringify(line)}\n`);
};

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class S3ReplicaStore extends S3Objects implements ReplicaStorePort {
  private readonly readConcurrency: number;
  /** Last loaded hash locations per VPG, so readBlock need not list the store each time. */
  private readonly locations = new Map<string, Map<string, BlockLocation>>();
  /** Packs the last index listing of each VPG disabled, by pack id: named when a block they may hold is missing. */
  private readonly disabled = new Map<string, Map<string, DisabledPack>>();
  private readonly onProblem: (vpg: string, problem: StoreProblem) => void;
  private readonly reported = new Set<string>();

  constructor(options: S3ReplicaStoreOptions) {
    super(options.bucket, options.client ?? makeS3Client());
    this.readConcurrency = options.readConcurrency ?? 16;
    this.onProblem = options.onProblem ?? warnProblem;
  }

  /** Each problem once per store object: listings repeat, the warning need not. */
  private report(vpg: string, problems: readonly StoreProblem[]): void {
    for (const p of problems) {
      const id = `${vpg}\0${p.kind}\0${p.key}`;
      if (this.reported.has(id)) continue;
      this.reported.add(id);
      this.onProblem(vpg, p);
    }
  }

  // ---- packs ----
  /**
   * Pack data first, then its index: an index never names bytes that are not there. The data may come as
   * chunks (views the reader did not copy); they are sent as one object without being joined. Both writes are
   * create-only (the agent role may not overwrite): a pack id names its content, so a pack already there holds
   * these blocks, and its index must be the one this write would make, or the write fails naming both.
   */
  async putPack(
    vpg: string,
    data: Uint8Array | readonly Uint8Array[],
    index: readonly PackIndexEntry[],
    packId?: string,
  ): Promise<{ packId: string; packKey: string }> {
    const chunks = data instanceof Uint8Array ? [data] : data;
    packId ??= sha256Hex(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    const key = packKey(vpg, packId);
    await this.createBytes(key, chunks.length === 1 ? chunks[0] : chunks);
    const indexKey = packIndexKey(vpg, packId);
    if (!(await this.createBytes(indexKey, Buffer.from(encodePackIndex(index)), 'application/json'))) {
      const existing = await this.getBytes(indexKey);
      let same: boolean;
      try {
        same = existing !== null && sameEntries(decodePackIndex(existing.toString('utf8')).blocks, index);
      } catch {
        same = false;
      }
      if (!same) {
        throw new AlreadyExists(
          indexKey,
          `pack ${packId} of VPG ${vpg} already has an index (s3://${this.bucket}/${indexKey}) that differs from the ${index.length} block(s) this write holds; ` +
            'it was not overwritten. The existing index is damaged or was written by something other than Lifeboat: check it (lifeboat status) and restore its earlier version',
        );
      }
    }
    const cached = this.locations.get(vpg);
    if (cached) for (const b of index) if (!cached.has(b.hash)) cached.set(b.hash, { packId, packKey: key, offset: b.offset, length: b.length });
    return { packId, packKey: key };
  }

  /** One ListObjectsV2 pass over packs/: each pack's .pack size and time, and whether its index is there. */
  async listPackObjects(vpg: string): Promise<PackObject[]> {
    const { packs, strays } = sortPackListing(vpg, await collect(this.listObjects(packsPrefix(vpg))));
    this.report(vpg, strays);
    return packs;
  }

  /**
   * Every pack of the VPG with its index, read and checked. An index that does not parse, has a bad entry, or
   * whose pack object is missing or too short disables that pack only: it is left out of `indexes` (its blocks
   * count as missing) and listed in `problems`, and the rest of the VPG works.
   */
  async packIndexes(vpg: string): Promise<PackIndexListing> {
    const { packs: objects, strays } = sortPackListing(vpg, await collect(this.listObjects(packsPrefix(vpg))));
    const indexes = new Map<string, PackIndex>();
    const problems: StoreProblem[] = [...strays];
    const disabled = new Map<string, DisabledPack>();
    await forEachBounded(
      objects.filter((o) => o.hasIndex),
      this.readConcurrency,
      async (pack) => {
        const key = packIndexKey(vpg, pack.packId);
        const bytes = await this.getBytes(key);
        if (bytes === null) return; // deleted between list and get (compaction)
        const text = bytes.toString('utf8');
        let index: PackIndex;
        try {
          index = decodePackIndex(text);
        } catch (e) {
          problems.push(unreadableIndex(vpg, pack.packId, (e as Error).message));
          disabled.set(pack.packId, { reason: `its index is unreadable (${(e as Error).message})`, hashes: new Set(hashesNamedIn(text)) });
          return;
        }
        const end = index.blocks.reduce((n, b) => Math.max(n, b.offset + b.length), 0);
        if (pack.size === null || pack.size < end) {
          problems.push(packMissing(vpg, pack.packId, pack.size, end));
          const why = pack.size === null ? 'is missing' : `has ${pack.size} bytes, its index needs ${end}`;
          disabled.set(pack.packId, { reason: `its .pack object ${why}`, hashes: new Set(index.blocks.map((b) => b.hash)) });
          return;
        }
        indexes.set(pack.packId, index);
      },
    );
    problems.sort((a, b) => a.key.localeCompare(b.key));
    this.disabled.set(vpg, disabled);
    this.report(vpg, problems);
    return { indexes, objects, problems };
  }

  /** The VPG's usable pack indexes by pack id (disabled packs left out, see packIndexes). */
  async listPackIndexes(vpg: string): Promise<Map<string, PackIndex>> {
    return (await this.packIndexes(vpg)).indexes;
  }

  /** Every stored block of the VPG: hash → canonical location. Refreshes the cache readBlock uses. */
  async knownHashes(vpg: string): Promise<Map<string, BlockLocation>> {
    const map = buildHashLocations(vpg, await this.listPackIndexes(vpg));
    this.locations.set(vpg, map);
    return new Map(map);
  }

  /** Why a block may be missing: the disabled pack that lists it, or the disabled packs that might (from the last listing). */
  explainMissing(vpg: string, hash: string): string | undefined {
    const disabled = [...(this.disabled.get(vpg) ?? new Map<string, DisabledPack>())];
    const holder = disabled.find(([, d]) => d.hashes.has(hash));
    if (holder) return `pack ${packKey(vpg, holder[0])} lists it, but that pack is disabled: ${holder[1].reason}`;
    if (disabled.length === 0) return undefined;
    const named = disabled
      .slice(0, 3)
      .map(([id, d]) => `${packKey(vpg, id)} (${d.reason})`)
      .join('; ');
    return `${disabled.length} disabled pack(s) of the VPG may hold it: ${named}${disabled.length > 3 ? '; …' : ''}`;
  }

  async locate(vpg: string, hash: string): Promise<BlockLocation> {
    let loc = this.locations.get(vpg)?.get(hash);
    if (!loc) loc = (await this.knownHashes(vpg)).get(hash);
    if (!loc) {
      const why = this.explainMissing(vpg, hash);
      throw new MissingBlock(hash, null, `VPG ${vpg}, s3://${this.bucket}/${packsPrefix(vpg)}${why ? `; ${why}` : ''}`);
    }
    return loc;
  }

  /** One block, by ranged GET of its pack, SHA-256 verified. */
  async readBlock(vpg: string, hash: string): Promise<Buffer> {
    const loc = await this.locate(vpg, hash);
    const bytes = await this.getRange(loc.packKey, loc.offset, loc.length);
    if (bytes === null || bytes.length !== loc.length) throw new MissingBlock(hash, loc.packKey, `s3://${this.bucket}/${loc.packKey}`);
    const actual = sha256Hex(bytes);
    if (actual !== hash) throw new CorruptBlock(hash, loc.packKey, actual, `s3://${this.bucket}/${loc.packKey} bytes ${loc.offset}+${loc.length}`);
    return bytes;
  }

  // ---- checkpoints ----
  /** Every committed checkpoint, oldest first. Objects under checkpoints/ that are not Lifeboat's are skipped (and reported). */
  async listCheckpoints(vpg: string): Promise<CheckpointSummary[]> {
    const { ids, summaries, strays } = sortCheckpointListing(vpg, await collect(this.listKeys(checkpointsPrefix(vpg))));
    this.report(vpg, strays);
    return this.summariesOf(vpg, ids, summaries);
  }

  /**
   * Each checkpoint's summary, or its (validated) manifest where the summary is missing or unusable. A corrupt
   * manifest is thrown, not skipped: leaving out a checkpoint would let a sync build on an older one.
   */
  private async summariesOf(
    vpg: string,
    ids: readonly string[],
    withSummary: ReadonlySet<string>,
    onCorrupt?: (e: CorruptManifest) => void,
  ): Promise<CheckpointSummary[]> {
    const out: CheckpointSummary[] = [];
    await forEachBounded(ids, this.readConcurrency, async (id) => {
      const summary = withSummary.has(id) ? await this.getJson<CheckpointSummary>(checkpointSummaryKey(vpg, id)).catch(() => null) : null;
      if (isSummaryOf(summary, id)) return void out.push(summary);
      try {
        const manifest = await this.getCheckpoint(vpg, id);
        if (manifest) out.push(summarize(manifest));
      } catch (e) {
        if (!(e instanceof CorruptManifest) || !onCorrupt) throw e;
        onCorrupt(e);
      }
    });
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** The manifest, validated (CorruptManifest names the checkpoint, volume and key); null when there is none. */
  async getCheckpoint(vpg: string, checkpointId: string): Promise<CheckpointManifest | null> {
    const key = checkpointKey(vpg, checkpointId);
    const bytes = await this.getBytes(key);
    if (bytes === null) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
      throw new CorruptManifest({
        vpg,
        checkpointId,
        sourceVolumeId: null,
        key: null,
        reason: `s3://${this.bucket}/${key} is not JSON (${(e as Error).message})`,
      });
    }
    return validateManifest(raw, { vpg, checkpointId });
  }

  /**
   * Summary first, manifest last: a single PUT is atomic, so the checkpoint appears whole or not at all. Both are
   * create-only (a commit never overwrites; the sync role may write checkpoints only with If-None-Match): the same
   * bytes already there are a retried commit, other bytes are refused (AlreadyExists).
   */
  async commitCheckpoint(manifest: CheckpointManifest): Promise<void> {
    // What is written must pass the checks every read applies.
    validateManifest(manifest, { vpg: manifest.vpg, checkpointId: manifest.id });
    await this.createJson(checkpointSummaryKey(manifest.vpg, manifest.id), summarize(manifest));
    await this.createJson(checkpointKey(manifest.vpg, manifest.id), manifest);
  }

  /**
   * Journal compaction's rewrite of a kept checkpoint (the same point in time, as a full map): each object is
   * replaced only if it is still the one just read (If-Match on its ETag), so a rewrite never lands on a
   * checkpoint that changed under it. A summary that is missing is created (If-None-Match).
   */
  async replaceCheckpoint(manifest: CheckpointManifest): Promise<void> {
    validateManifest(manifest, { vpg: manifest.vpg, checkpointId: manifest.id });
    for (const [key, value] of [
      [checkpointSummaryKey(manifest.vpg, manifest.id), summarize(manifest)],
      [checkpointKey(manifest.vpg, manifest.id), manifest],
    ] as const) {
      const etag = await this.etagOf(key);
      const condition = etag ? { IfMatch: etag } : { IfNoneMatch: '*' };
      try {
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json', ...condition }),
        );
      } catch (e) {
        if (isPreconditionFailed(e) || isConditionalConflict(e))
          throw new ReplicaStoreError(`s3://${this.bucket}/${key} changed while compaction rewrote it; nothing of it was replaced`);
        throw storeError('PutObject (conditional)', this.bucket, key, e);
      }
    }
  }

  /** The current ETag of an object, or null when there is none. */
  private async etagOf(key: string): Promise<string | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.ETag ?? null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw storeError('HeadObject', this.bucket, key, e);
    }
  }

  /**
   * The manifests from the nearest full checkpoint down to `checkpointId`, oldest first. A missing parent is
   * read again once from the top: compaction rewrites the oldest kept checkpoint as a full map before it
   * deletes its parents, so a reader that met the old delta and then its deleted parent succeeds the second time.
   */
  async getChain(vpg: string, checkpointId: string): Promise<CheckpointManifest[]> {
    try {
      return await this.readChain(vpg, checkpointId);
    } catch (e) {
      if (!(e instanceof BrokenChain)) throw e;
      return this.readChain(vpg, checkpointId);
    }
  }

  private async readChain(vpg: string, checkpointId: string): Promise<CheckpointManifest[]> {
    const chain: CheckpointManifest[] = [];
    const seen = new Set<string>();
    let id: string | null = checkpointId;
    while (id !== null) {
      if (seen.has(id)) throw new ReplicaStoreError(`checkpoint chain of ${checkpointId} loops at ${id}`);
      seen.add(id);
      const manifest = await this.getCheckpoint(vpg, id);
      if (!manifest) {
        if (id === checkpointId) throw new ReplicaStoreError(`checkpoint ${id} of VPG ${vpg} does not exist`);
        throw new BrokenChain(`checkpoint ${checkpointId} of VPG ${vpg} needs parent ${id}, which does not exist (broken chain)`, checkpointId, id);
      }
      chain.push(manifest);
      id = manifest.full ? null : manifest.parentId;
    }
    return chain.reverse();
  }

  async resolveVolume(vpg: string, checkpointId: string, sourceVolumeId: string): Promise<Map<number, BlockRef>> {
    return resolveBlockMap(await this.getChain(vpg, checkpointId), sourceVolumeId);
  }

  // ---- problems ----
  /**
   * What the VPG's store holds that Lifeboat skips or cannot use: strays under checkpoints/ and packs/, corrupt
   * manifests (where no summary stands in), broken chains, and disabled packs. One listing of each prefix, the
   * summaries and the pack indexes are read; block maps are not.
   */
  async inspect(vpg: string): Promise<StoreProblem[]> {
    const { ids, summaries, strays } = sortCheckpointListing(vpg, await collect(this.listKeys(checkpointsPrefix(vpg))));
    const problems: StoreProblem[] = [...strays];
    const corrupt = (e: CorruptManifest) => problems.push({ kind: 'corrupt-manifest', key: checkpointKey(vpg, e.checkpointId), reason: e.message });
    const listed = await this.summariesOf(vpg, ids, summaries, corrupt);
    const unusable = new Set(problems.filter((p) => p.kind === 'corrupt-manifest').map((p) => p.key));
    // A corrupt checkpoint's children are not reported as broken as well: the corrupt one is the cause.
    const links = [...listed, ...ids.filter((id) => unusable.has(checkpointKey(vpg, id))).map((id) => ({ id, parentId: null }))];
    problems.push(...brokenChainProblems(vpg, links));
    problems.push(...(await this.packIndexes(vpg)).problems);
    this.report(vpg, problems);
    return problems;
  }
}

/** A usable summary; one whose launch facts are malformed is not (the validated manifest stands in for it). */
function isSummaryOf(value: unknown, id: string): value is CheckpointSummary {
  const s = value as Partial<CheckpointSummary> | null;
  if (!s || s.id !== id || typeof s.createdAt !== 'string' || !(s.parentId === null || typeof s.parentId === 'string') || !Array.isArray(s.volumes))
    return false;
  const owners = new Set((s.volumes as ReadonlyArray<{ sourceInstanceId?: unknown }>).map((v) => String(v.sourceInstanceId)));
  return instancesProblem(s.instances, owners) === null;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * Run `fn` over items with at most `limit` in flight. After the first error no new item starts, and the
 * call returns only once every started item has settled (so nothing runs on after the caller cleans up).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (failure) throw (failure as { error: unknown }).error;
}

/** The write side of the EBS direct APIs: StartSnapshot, PutSnapshotBlock, CompleteSnapshot. */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CloudRequest, CloudResponse } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import { EbsError, validation } from './ebs-errors';
import { BLOCKS_PER_GIB, EBS_BLOCK_SIZE, epochSeconds, header, json, optionalInt, requiredInt, requireSnapshot } from './ebs-request';
import type { SnapshotRecordView, SnapshotRegistry } from './snapshot-registry';

/** The volume id AWS gives snapshots built through StartSnapshot. */
export const EBS_API_VOLUME_ID = 'vol-ffffffff';
const MAX_VOLUME_GIB = 65536;
const DEFAULT_TIMEOUT_MINUTES = 60;

interface StartSnapshotBody {
  VolumeSize?: number;
  ParentSnapshotId?: string;
  Tags?: Array<{ Key?: string; Value?: string }>;
  Description?: string;
  ClientToken?: string;
  Encrypted?: boolean;
  KmsKeyArn?: string;
  Timeout?: number;
}

/** What this process knows of a snapshot being written (lost on restart: then counts are not checked). */
interface PendingWrite {
  written: Set<number>;
  timeoutMs: number;
  lastActivityMs: number;
  encrypted: boolean;
}

export class EbsWrites {
  private readonly pending = new Map<string, PendingWrite>();
  private readonly clientTokens: Record<string, { snapshotId: string; fingerprint: string }>;

  constructor(
    private readonly accountId: string,
    private readonly storage: VolumeStorage,
    private readonly snapshots: SnapshotRegistry,
    /** `<dataDir>/ebs`: ClientTokens are kept here so a retried StartSnapshot stays idempotent across restarts. */
    private readonly stateDir: string,
    /** The cloud clock (epoch ms): start times and the snapshot's write timeout. */
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(stateDir, { recursive: true });
    const file = this.tokensFile();
    this.clientTokens = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
  }

  private tokensFile(): string {
    return path.join(this.stateDir, 'client-tokens.json');
  }

  private saveClientTokens(): void {
    const tmp = `${this.tokensFile()}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.clientTokens));
    fs.renameSync(tmp, this.tokensFile());
  }

  startSnapshot(req: CloudRequest): CloudResponse {
    const body = parseBody(req.body);
    const volumeSize = body.VolumeSize;
    if (!Number.isInteger(volumeSize) || volumeSize! < 1 || volumeSize! > MAX_VOLUME_GIB) {
      throw validation('INVALID_VOLUME_SIZE', `VolumeSize must be an integer from 1 to ${MAX_VOLUME_GIB} GiB.`);
    }
    const timeout = body.Timeout ?? DEFAULT_TIMEOUT_MINUTES;
    if (!Number.isInteger(timeout) || timeout < 10 || timeout > 4320) throw validation('INVALID_PARAMETER_VALUE', 'Timeout must be from 10 to 4320 minutes.');
    const tags: Record<string, string> = {};
    for (const t of body.Tags ?? []) {
      if (typeof t.Key !== 'string' || t.Key === '') throw validation('INVALID_TAG', 'Every tag needs a non-empty Key.');
      tags[t.Key] = t.Value ?? '';
    }
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([volumeSize, body.ParentSnapshotId ?? '', body.Description ?? '', tags, !!body.Encrypted, body.KmsKeyArn ?? '', timeout]))
      .digest('hex');
    const previous = body.ClientToken ? this.clientTokens[body.ClientToken] : undefined;
    const earlier = previous && this.snapshots.get(previous.snapshotId);
    if (previous && earlier) {
      if (previous.fingerprint !== fingerprint)
        throw new EbsError('ConflictException', 'The request uses the same client token as a previous, but non-identical request.');
      return this.startResponse(earlier, this.pending.get(earlier.snapshotId)?.encrypted ?? !!body.Encrypted);
    }

    if (body.ParentSnapshotId !== undefined) {
      const parent = requireSnapshot(this.snapshots, body.ParentSnapshotId, this.accountId);
      if (parent.state !== 'completed') throw validation('INVALID_PARAMETER_VALUE', `The parent snapshot '${parent.snapshotId}' is not completed.`);
      if (volumeSize! < parent.volumeSize) {
        throw validation('INVALID_VOLUME_SIZE', `VolumeSize ${volumeSize} is smaller than the parent snapshot's ${parent.volumeSize} GiB.`);
      }
    }
    const parent = body.ParentSnapshotId === undefined ? undefined : this.snapshots.get(body.ParentSnapshotId);
    const snapshotId = `snap-${randomBytes(9).toString('hex').slice(0, 17)}`;
    this.storage.beginSnapshot(snapshotId, parent?.snapshotId);
    const record: SnapshotRecordView = {
      snapshotId,
      volumeId: EBS_API_VOLUME_ID,
      volumeSize: volumeSize!,
      state: 'pending',
      startTime: new Date(this.now()),
      ...(body.Description !== undefined ? { description: body.Description } : {}),
      tags,
      ownerId: this.accountId,
      ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
      // A snapshot built on a parent continues its lineage, so ListChangedBlocks between them works.
      lineage: parent?.lineage ?? snapshotId,
    };
    this.snapshots.add(record);
    const encrypted = !!body.Encrypted;
    this.pending.set(snapshotId, { written: new Set(), timeoutMs: timeout * 60_000, lastActivityMs: this.now(), encrypted });
    if (body.ClientToken) {
      this.clientTokens[body.ClientToken] = { snapshotId, fingerprint };
      this.saveClientTokens();
    }
    return this.startResponse(record, encrypted);
  }

  private startResponse(record: SnapshotRecordView, encrypted: boolean): CloudResponse {
    return json(201, {
      SnapshotId: record.snapshotId,
      OwnerId: record.ownerId,
      Status: record.state,
      StartTime: epochSeconds(record.startTime),
      VolumeSize: record.volumeSize,
      BlockSize: EBS_BLOCK_SIZE,
      Tags: Object.entries(record.tags).map(([Key, Value]) => ({ Key, Value })),
      ...(record.description !== undefined ? { Description: record.description } : {}),
      ...(record.parentSnapshotId ? { ParentSnapshotId: record.parentSnapshotId } : {}),
      SseType: encrypted ? 'sse-ebs' : 'none',
    });
  }

  /** The snapshot, which must be pending and not timed out (a timed-out one turns 'error', as in AWS). */
  private requirePending(snapshotId: string): SnapshotRecordView {
    const record = requireSnapshot(this.snapshots, snapshotId, this.accountId);
    const write = this.pending.get(snapshotId);
    if (record.state === 'pending' && write && this.now() - write.lastActivityMs > write.timeoutMs) {
      this.snapshots.setState(snapshotId, 'error');
      this.pending.delete(snapshotId);
      throw validation('INVALID_SNAPSHOT_ID', `The snapshot '${snapshotId}' timed out with no write and was cancelled.`);
    }
    if (record.state !== 'pending') {
      throw validation('INVALID_SNAPSHOT_ID', `The snapshot '${snapshotId}' is in state '${record.state}'; blocks can be written only to a pending snapshot.`);
    }
    return record;
  }

  putSnapshotBlock(snapshotId: string, blockIndexText: string, req: CloudRequest): CloudResponse {
    const blockIndex = requiredInt(blockIndexText, 'BlockIndex');
    const record = this.requirePending(snapshotId);
    if (blockIndex >= record.volumeSize * BLOCKS_PER_GIB) {
      throw validation('INVALID_BLOCK', `Block ${blockIndex} lies past the end of a ${record.volumeSize} GiB snapshot.`);
    }
    const dataLength = requiredInt(header(req.headers['x-amz-data-length']), 'DataLength');
    if (dataLength !== EBS_BLOCK_SIZE || req.body.length !== dataLength) {
      throw validation('INVALID_PARAMETER_VALUE', `A block is exactly ${EBS_BLOCK_SIZE} bytes (DataLength ${dataLength}, body ${req.body.length}).`);
    }
    const algorithm = header(req.headers['x-amz-checksum-algorithm']);
    if (algorithm !== 'SHA256') throw validation('INVALID_PARAMETER_VALUE', `ChecksumAlgorithm must be SHA256, got '${algorithm ?? ''}'.`);
    const progress = optionalInt(header(req.headers['x-amz-progress']), 'Progress');
    if (progress !== undefined && progress > 100) throw validation('INVALID_PARAMETER_VALUE', 'Progress must be from 0 to 100.');
    const checksum = createHash('sha256').update(req.body).digest('base64');
    if (header(req.headers['x-amz-checksum']) !== checksum) {
      throw validation('INVALID_CHECKSUM', 'The checksum of the block data does not match x-amz-Checksum.');
    }
    this.storage.putSnapshotBlock(snapshotId, blockIndex, req.body);
    const write = this.pending.get(snapshotId);
    if (write) {
      write.written.add(blockIndex);
      write.lastActivityMs = this.now();
    }
    return { status: 201, headers: { 'x-amz-Checksum': checksum, 'x-amz-Checksum-Algorithm': 'SHA256' } };
  }

  completeSnapshot(snapshotId: string, req: CloudRequest): CloudResponse {
    const record = requireSnapshot(this.snapshots, snapshotId, this.accountId);
    if (record.state === 'completed') return json(202, { Status: 'completed' }); // a retried completion
    this.requirePending(snapshotId);
    const count = requiredInt(header(req.headers['x-amz-changedblockscount']), 'ChangedBlocksCount');
    const write = this.pending.get(snapshotId);
    if (write && write.written.size !== count) {
      throw validation('INVALID_PARAMETER_VALUE', `ChangedBlocksCount is ${count} but ${write.written.size} blocks were written to '${snapshotId}'.`);
    }
    this.snapshots.setState(snapshotId, 'completed');
    this.pending.delete(snapshotId);
    return json(202, { Status: 'completed' });
  }
}

function parseBody(body: Buffer): StartSnapshotBody {
  try {
    const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch {
    throw new EbsError('ValidationException', 'The request body is not a JSON object.', 'INVALID_PARAMETER_VALUE');
  }
}

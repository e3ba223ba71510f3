/**
 * The EBS direct APIs (REST-JSON, SigV4 name 'ebs') over VolumeStorage bytes and the EC2 emulator's
 * snapshot registry. Routes, as the SDK serializes them:
 *   GET  /snapshots/{SnapshotId}/blocks               ListSnapshotBlocks
 *   GET  /snapshots/{SnapshotId}/blocks/{BlockIndex}  GetSnapshotBlock
 *   PUT  /snapshots/{SnapshotId}/blocks/{BlockIndex}  PutSnapshotBlock
 *   GET  /snapshots/{SecondSnapshotId}/changedblocks  ListChangedBlocks
 *   POST /snapshots                                   StartSnapshot
 *   POST /snapshots/completion/{SnapshotId}           CompleteSnapshot
 * Fault and throttle injection happen in the edge, which renders them with `error()`.
 */
import path from 'node:path';
import { limitsOf } from '../aws-rates';
import type { CloudContext } from '../context';
import type { CloudRequest, CloudResponse, Service } from '../service';
import type { VolumeStorage } from '../storage/volume-storage';
import { EbsError, EBS_ERROR_STATUS, renderEbsError } from './ebs-errors';
import { type EbsAction, EbsRateLimiter } from './ebs-rates';
import { EbsReads } from './ebs-reads';
import { EbsTokens, loadTokenKey } from './ebs-tokens';
import { EbsWrites } from './ebs-writes';
import type { SnapshotRegistry } from './snapshot-registry';
import { callerOf, type KmsBridge } from '../kms/index';

const READS = new Set<EbsAction>(['ListSnapshotBlocks', 'ListChangedBlocks', 'GetSnapshotBlock']);

export function createEbsService(ctx: CloudContext, storage: VolumeStorage, snapshots: SnapshotRegistry, kms?: KmsBridge): Service {
  // per account and region, as the service's state is (src/account-regions.ts)
  const stateDir = path.join(ctx.dataDir, 'ebs', ctx.accountId, ctx.region);
  const reads = new EbsReads(ctx.accountId, storage, snapshots, new EbsTokens(loadTokenKey(stateDir)), () => Math.floor(ctx.clock.now() / 1000));
  const writes = new EbsWrites(ctx.accountId, storage, snapshots, stateDir, () => ctx.clock.now());
  const rates = new EbsRateLimiter(
    () => limitsOf(ctx).ebsRates,
    () => ctx.clock.now(),
  );

  /** The operation a request names, and the snapshot its per-snapshot rate counts against. */
  function operation(req: CloudRequest): { action: EbsAction; snapshotId?: string; run: () => CloudResponse } {
    const segments = req.path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const [root, a, b, c, ...rest] = segments;
    if (root === 'snapshots' && rest.length === 0) {
      if (req.method === 'POST' && a === undefined) return { action: 'StartSnapshot', run: () => writes.startSnapshot(req) };
      if (req.method === 'POST' && a === 'completion' && b !== undefined && c === undefined) {
        return { action: 'CompleteSnapshot', run: () => writes.completeSnapshot(b, req) };
      }
      if (a !== undefined && b === 'blocks' && c === undefined && req.method === 'GET') {
        return { action: 'ListSnapshotBlocks', run: () => reads.listSnapshotBlocks(a, req) };
      }
      if (a !== undefined && b === 'changedblocks' && c === undefined && req.method === 'GET') {
        return { action: 'ListChangedBlocks', run: () => reads.listChangedBlocks(a, req) };
      }
      if (a !== undefined && b === 'blocks' && c !== undefined) {
        if (req.method === 'GET') return { action: 'GetSnapshotBlock', snapshotId: a, run: () => reads.getSnapshotBlock(a, c, req) };
        if (req.method === 'PUT') return { action: 'PutSnapshotBlock', snapshotId: a, run: () => writes.putSnapshotBlock(a, c, req) };
      }
    }
    throw new EbsError('ValidationException', `No EBS direct API operation matches ${req.method} ${req.path}.`, 'INVALID_PARAMETER_VALUE');
  }

  /**
   * Reading an encrypted snapshot's blocks makes EBS decrypt its data key with the caller's identity: kms:Decrypt on
   * the snapshot's key, through EBS (https://docs.aws.amazon.com/ebs/latest/userguide/ebsapi-permissions.html). A
   * refusal answers as the EBS direct APIs answer a permission they lack: AccessDeniedException (403), with KMS's text.
   * kms:ViaService is the EBS direct APIs' endpoint, ebs.REGION.amazonaws.com (README: an assumption).
   */
  async function checkKeys(req: CloudRequest, op: { action: EbsAction }): Promise<void> {
    if (!kms || !READS.has(op.action)) return;
    const p = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const ids = [p[1], ...(op.action === 'ListChangedBlocks' && req.query.get('firstSnapshotId') ? [req.query.get('firstSnapshotId')!] : [])];
    for (const id of ids) {
      const keyArn = id ? snapshots.get(id)?.kmsKeyId : undefined;
      if (!keyArn) continue;
      const refused = await kms.check(callerOf(req, ctx.iam), { account: ctx.accountId, region: ctx.region }, keyArn, [
        { operation: 'Decrypt', viaService: `ebs.${ctx.region}.amazonaws.com` },
      ]);
      if (refused) throw new EbsError('AccessDeniedException', `${refused.code}: ${refused.message}`);
    }
  }

  async function route(req: CloudRequest): Promise<CloudResponse> {
    const op = operation(req);
    rates.admit(op.action, op.snapshotId);
    await checkKeys(req, op);
    return op.run();
  }

  return {
    names: ['ebs'],
    throttleCode: 'ThrottlingException',
    error: (status, code, message) => renderEbsError(status, code, message),
    async handle(req) {
      try {
        const response = await route(req);
        if (req.method === 'POST') ctx.markDirty(); // StartSnapshot added a snapshot to the registry
        return response;
      } catch (err) {
        if (err instanceof EbsError) return renderEbsError(err.status, err.code, err.message, err.reason);
        const message = err instanceof Error ? err.message : String(err);
        ctx.log(`ebs: ${req.method} ${req.path} failed: ${message}`);
        return renderEbsError(EBS_ERROR_STATUS.InternalServerException, 'InternalServerException', `offline ebs: ${message}`);
      }
    },
  };
}

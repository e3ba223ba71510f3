/**
 * Finish (after the recovered VMs run: remove the importers, their volumes, the written-volume snapshots and
 * this execution's working files; build the output) and CleanupFailed (after any failure: remove everything
 * this execution created, recovered VMs and their images included; the replica store keeps every checkpoint). Both guarded:
 * every delete re-checks Owner, ZERTO_TAG and the VPG tag right before it.
 */
import type { FailbackCleanupInput, FailbackOutput, FinishInput } from './contract';
import type { CleanupSelection } from '../cleanup/cleanup-selection';
import { errorMessage, readableCause } from '../errors';
import { importPrefix, importResultKey, type ImportResult } from '../store/format';
import { carryOutCleanup, type CleanupReport } from '../cleanup/guarded-cleanup';
import { TAG, type Tags } from '../tags';
import { importerJobId, importIdFor } from './recovery-plan';
import type { FailbackDepsWith } from './recovery-ports';
import { endReading } from '../store/checkpoint-readers';
import { releaseLease } from '../lease/lease-guard';
import { deregisterExecutionImages } from './recovered-image';

export const FINISH_DETACH_WAIT_SECONDS = 120;
export const FAILED_DETACH_WAIT_SECONDS = 90;

/** This execution's resources of the given roles, by its execution tag (ownership is checked again per delete). */
async function executionResources(deps: FailbackDepsWith<'ec2'>, vpg: string, importId: string, roles: readonly string[]): Promise<CleanupSelection> {
  const tags: Tags = { [TAG.vpg]: vpg, [TAG.executionId]: importId };
  const hasRole = (t: Tags) => roles.includes(t[TAG.role] ?? '');
  const instances = (await deps.ec2.describeInstances({ tags })).filter((i) => i.state !== 'terminated' && hasRole(i.tags)).map((i) => i.instanceId);
  const volumes = (await deps.ec2.describeVolumes({ tags })).filter((v) => hasRole(v.tags) && v.state !== 'deleted').map((v) => v.volumeId);
  const snapshots = (await deps.ec2.describeSnapshots({ tags })).filter((s) => hasRole(s.tags)).map((s) => s.snapshotId);
  return { instances, volumes, snapshots, refused: [] };
}

export async function finishFailback(input: FinishInput, deps: FailbackDepsWith<'ec2' | 'store' | 'readers' | 'lease'>): Promise<FailbackOutput> {
  const vpg = input.vpg.name;
  const { importId } = input.resolve;
  const bytes = new Map<string, number>();
  for (const importer of input.importers) {
    const result = await deps.store.getJson<ImportResult>(importResultKey(vpg, importId, importerJobId(importer.index)));
    for (const v of result?.volumes ?? []) bytes.set(v.sourceVolumeId, v.bytesWritten);
  }
  const selection = await executionResources(deps, vpg, importId, ['zimporter']);
  const cleanup = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: FINISH_DETACH_WAIT_SECONDS, tolerateErrors: false });
  await deps.store.deletePrefix(importPrefix(vpg, importId));
  await endReading(deps, vpg, importId);
  if (input.resolve.mode === 'live') await releaseLease(deps, vpg, input.executionId);
  const durationSeconds = Math.max(0, Math.round((deps.now().getTime() - Date.parse(input.startedAt)) / 1000));
  deps.log.info('failback done', { recovered: input.launch.launched, cleanup });
  return {
    recoveredInstances: input.launch.launched,
    volumes: input.prepare.volumes.map((v) => ({ sourceVolumeId: v.sourceVolumeId, bytesWritten: bytes.get(v.sourceVolumeId) ?? 0 })),
    checkpointId: input.prepare.checkpointId,
    mode: input.resolve.mode,
    durationSeconds,
  };
}

export type FailbackCleanupReport = CleanupReport & {
  readonly cause: string;
  readonly stoppedSources: readonly string[];
  readonly deregisteredImages: readonly string[];
};

/** Never throws: the execution must reach its Fail state with the original cause. */
export async function cleanupFailedFailback(
  input: FailbackCleanupInput,
  deps: FailbackDepsWith<'ec2' | 'store' | 'readers' | 'lease' | 'images'>,
): Promise<FailbackCleanupReport> {
  const vpg = input.vpg.name;
  const importId = input.resolve?.importId ?? importIdFor(input.executionId);
  const cause = readableCause(input.error?.Cause) ?? input.error?.Error ?? 'unknown';
  let report: CleanupReport = { deletedSnapshots: [], deletedVolumes: [], terminatedInstances: [], volumesLeft: [], refused: [], errors: [] };
  // the images first: a snapshot an image names cannot be deleted (InvalidSnapshot.InUse)
  let deregisteredImages: string[] = [];
  try {
    const images = await deregisterExecutionImages(vpg, importId, deps);
    deregisteredImages = images.deregistered;
    report = { ...report, errors: images.errors.map((e) => `image ${e}`) };
  } catch (err) {
    report = { ...report, errors: [`images: ${errorMessage(err)}`] };
  }
  try {
    const selection = await executionResources(deps, vpg, importId, ['zimporter', 'recovered-vm']);
    const done = await carryOutCleanup(selection, deps, { vpg, detachWaitSeconds: FAILED_DETACH_WAIT_SECONDS, tolerateErrors: true });
    report = { ...done, errors: [...report.errors, ...done.errors] };
  } catch (err) {
    report = { ...report, errors: [...report.errors, errorMessage(err)] };
  }
  try {
    await deps.store.deletePrefix(importPrefix(vpg, importId));
  } catch (err) {
    report = { ...report, errors: [...report.errors, `working files: ${errorMessage(err)}`] };
  }
  try {
    await endReading(deps, vpg, importId);
    if (input.resolve?.mode === 'live' && deps.leaseHeld !== false) await releaseLease(deps, vpg, input.executionId);
  } catch (err) {
    report = { ...report, errors: [...report.errors, `reader record or lease: ${errorMessage(err)} (both expire by themselves)`] };
  }
  // live mode stopped them on purpose; they stay stopped so nothing writes behind a half-done migration
  const stoppedSources = [...(input.stop?.instanceIds ?? [])];
  deps.log.warn('failback cleanup after failure done', { ...report, deregisteredImages, cause, stoppedSources });
  return { ...report, cause, stoppedSources, deregisteredImages };
}

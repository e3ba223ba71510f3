/**
 * A sync never builds on, nor commits, a checkpoint that would not restore: Begin checks the latest checkpoint
 * (its chain reaches a full checkpoint, every block it resolves to is in a live pack) and reads every volume
 * in full when it would not, so the new checkpoint is full and the store heals; Commit checks the checkpoint it
 * is about to write the same way and refuses it, naming what is missing. The decision is runtime/core/store/integrity.ts.
 */
import type { PackIndex } from '../store/pack-index';
import type { CheckpointManifest, ReplicaStorePort } from '../store/port';
import { checkpointIntegrity, type IntegrityProblem } from '../store/integrity';
import type { PackObject } from '../store/problems';

/** What the check reads beyond the port: the chain, and the pack indexes with the pack objects present. */
export interface IntegrityStorePort {
  getChain(vpg: string, checkpointId: string): Promise<CheckpointManifest[]>;
  packIndexes(vpg: string): Promise<{ readonly indexes: ReadonlyMap<string, PackIndex>; readonly objects: readonly PackObject[] }>;
}

export function integrityStore(store: ReplicaStorePort): IntegrityStorePort {
  const s = store as Partial<IntegrityStorePort>;
  if (typeof s.getChain !== 'function' || typeof s.packIndexes !== 'function') throw new Error('the replica store cannot list its chains and pack indexes');
  return store as unknown as IntegrityStorePort;
}

/** Problems a restore of `checkpointId` would meet; with `extra`, that manifest is checked as if committed. */
export async function restoreProblems(store: ReplicaStorePort, vpg: string, checkpointId: string, extra?: CheckpointManifest): Promise<IntegrityProblem[]> {
  const s = integrityStore(store);
  let manifests: CheckpointManifest[];
  const start = extra ? extra.parentId : checkpointId;
  try {
    manifests = start ? await s.getChain(vpg, start) : [];
  } catch (err) {
    return [{ kind: 'broken-chain', checkpointId, message: `checkpoint ${checkpointId} of VPG ${vpg}: ${(err as Error).message}` }];
  }
  if (extra) manifests = [...manifests, extra];
  const { indexes, objects } = await s.packIndexes(vpg);
  return checkpointIntegrity({ vpg, checkpointId, manifests, indexes, packs: objects });
}

export function summarizeProblems(problems: readonly IntegrityProblem[], limit = 3): string {
  const shown = problems.slice(0, limit).map((p) => p.message);
  return problems.length > limit ? `${shown.join('; ')}; and ${problems.length - limit} more` : shown.join('; ');
}

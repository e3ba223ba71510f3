/**
 * The checks and adjustments a commit makes before handing the agents' results to the manifest builder
 * (store/format.ts): every planned block must have an entry, or nothing is written.
 */
import { ZERO_BLOCK, type AgentResult, type BlockPlan, type BlockRef } from '../workers/agent-job';
import { SyncFailed } from '../errors';

/** Throws SyncFailed naming each volume whose result is missing or lacks a planned block. */
export function verifyResultsCoverPlans(plans: readonly BlockPlan[], results: readonly AgentResult[]): void {
  const read = new Map<string, Readonly<Record<string, BlockRef>>>();
  for (const r of results) for (const v of r.volumes) read.set(v.sourceVolumeId, v.blocks);
  const problems: string[] = [];
  for (const plan of plans) {
    if (plan.blocks.length === 0) continue;
    const blocks = read.get(plan.sourceVolumeId);
    if (!blocks) {
      problems.push(`${plan.sourceVolumeId}: no result for ${plan.blocks.length} planned blocks`);
      continue;
    }
    const missing = plan.blocks.filter((b) => blocks[String(b)] === undefined);
    if (missing.length > 0) {
      const sample = missing.slice(0, 5).join(', ');
      problems.push(`${plan.sourceVolumeId}: ${missing.length} planned blocks have no entry (${sample}${missing.length > 5 ? ', …' : ''})`);
    }
  }
  if (problems.length > 0) throw new SyncFailed(`commit refused, the read is incomplete: ${problems.join('; ')}`);
}

/**
 * A volume read in full although the checkpoint has a parent (its base snapshot was lost) lists only the
 * blocks allocated now; blocks the parent chain holds that are no longer allocated must become zeros.
 */
export function zeroBlocksGoneSinceParent(read: Readonly<Record<string, BlockRef>>, parent: ReadonlyMap<number, BlockRef>): Record<string, BlockRef> {
  const out: Record<string, BlockRef> = { ...read };
  for (const [index, ref] of parent) {
    if (ref !== ZERO_BLOCK && out[String(index)] === undefined) out[String(index)] = ZERO_BLOCK;
  }
  return out;
}

/**
 * Look-alikes stay untouched: a resource tagged with our Owner, ZERTO_TAG and VPG may still have been made by
 * someone else (copied tags). Before a cleanup deletes a leftover that is not its own execution's, it proves the
 * leftover belongs to one of this VPG's executions: the execution its `lifeboat:execution` tag names exists on
 * this VPG's state machine (DescribeExecution), and its sync id tag is the one that execution derives.
 */
import type { ExecutionStatePort } from './lease-guard';
import { deriveSyncId } from './sync-ids';
import { TAG, type Tags } from './tags';

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Why a sync leftover with these tags is not provably this VPG's, or null when its tags are consistent. */
function tagProblem(tags: Tags, stateMachineArn: string): string | null {
  const name = tags[TAG.executionId];
  const syncId = tags[TAG.syncId];
  if (!name || !syncId) return 'it names no execution of this VPG (no lifeboat:execution / lifeboat:sync-id tag)';
  if (deriveSyncId(executionArnOf(stateMachineArn, name)) !== syncId) return `its sync id ${syncId} is not the one execution ${name} of this VPG derives`;
  return null;
}

/**
 * The sync ids among `candidates` that are proven this VPG's own (tags consistent and the execution exists);
 * the others with the reason. Each execution is asked about once.
 */
export async function proveSyncLeftovers(
  executions: ExecutionStatePort,
  stateMachineArn: string,
  candidates: ReadonlyArray<{ id: string; tags: Tags }>,
): Promise<{ proven: Set<string>; refused: Array<{ id: string; reason: string }> }> {
  const proven = new Set<string>();
  const refused: Array<{ id: string; reason: string }> = [];
  const asked = new Map<string, boolean>();
  for (const c of candidates) {
    const problem = tagProblem(c.tags, stateMachineArn);
    if (problem) {
      refused.push({ id: c.id, reason: problem });
      continue;
    }
    const arn = executionArnOf(stateMachineArn, c.tags[TAG.executionId]);
    if (!asked.has(arn)) asked.set(arn, (await executions.state(arn)) !== 'unknown');
    if (asked.get(arn)) proven.add(c.tags[TAG.syncId]);
    else refused.push({ id: c.id, reason: `execution ${arn} does not exist: not made by this VPG` });
  }
  return { proven, refused };
}

/**
 * Look-alikes stay untouched: a resource tagged with our Owner, ZERTO_TAG and VPG may still have been made by
 * someone else (copied tags). Before a cleanup or the sweeper deletes a leftover that is not its own
 * execution's, it proves the leftover belongs to one of this VPG's executions: the execution its
 * `lifeboat:execution` tag names exists on this VPG's state machine (DescribeExecution), and the ids the
 * resource carries are the ones that execution derives (a sync's sync id; a failback's import id).
 */
import { importIdFor } from '../failback/recovery-plan';
import type { ExecutionStatePort } from '../lease/lease-guard';
import { deriveSyncId } from '../sync/ids';
import { TAG, type Tags } from '../tags';

/** `arn:…:stateMachine:<machine>` + name → `arn:…:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** A proven leftover's execution has ended (delete) or still runs (leave); anything else is refused. */
export type LeftoverVerdict = { readonly kind: 'ended' | 'running'; readonly executionArn: string } | { readonly kind: 'refused'; readonly reason: string };

/** The VPG's state machines: sync resources (zSATs, sync snapshots) and failback resources (ZImporters, recovered VMs). */
export interface VpgMachines {
  readonly sync: string;
  readonly failback: string;
}

const FAILBACK_ROLES = new Set(['zimporter', 'recovered-vm']);

/** The execution a resource's tags claim, or why the tags do not hold together. */
function claimedExecution(tags: Tags, machines: VpgMachines): { arn: string } | { problem: string } {
  const name = tags[TAG.executionId];
  if (!name) return { problem: 'it names no execution of this VPG (no lifeboat:execution tag)' };
  if (FAILBACK_ROLES.has(tags[TAG.role] ?? '')) {
    const arn = executionArnOf(machines.failback, name);
    return importIdFor(arn) === name ? { arn } : { problem: `its execution tag ${name} is no failback execution name` };
  }
  const arn = executionArnOf(machines.sync, name);
  if (!tags[TAG.syncId]) return { problem: 'it names no sync (no lifeboat:sync-id tag)' };
  if (deriveSyncId(arn) !== tags[TAG.syncId]) return { problem: `its sync id ${tags[TAG.syncId]} is not the one execution ${name} of this VPG derives` };
  return { arn };
}

/** A verdict per candidate id; each execution is asked about once. */
export async function judgeLeftovers(
  executions: ExecutionStatePort,
  machines: VpgMachines,
  candidates: ReadonlyArray<{ id: string; tags: Tags }>,
): Promise<Map<string, LeftoverVerdict>> {
  const verdicts = new Map<string, LeftoverVerdict>();
  const states = new Map<string, 'running' | 'ended' | 'unknown'>();
  for (const c of candidates) {
    const claim = claimedExecution(c.tags, machines);
    if ('problem' in claim) {
      verdicts.set(c.id, { kind: 'refused', reason: claim.problem });
      continue;
    }
    if (!states.has(claim.arn)) states.set(claim.arn, await executions.state(claim.arn));
    const state = states.get(claim.arn)!;
    verdicts.set(
      c.id,
      state === 'unknown'
        ? { kind: 'refused', reason: `execution ${claim.arn} does not exist: not made by this VPG` }
        : { kind: state, executionArn: claim.arn },
    );
  }
  return verdicts;
}

/** Tests that call a lease-guarded step directly first make its execution the VPG's lease holder, as Begin does. */
import { acquireLease } from '../../runtime/core/lease/lease-guard';
import type { StepDeps } from '../../runtime/core/sync/deps';
import type { LeaseKind } from '../../runtime/core/lease/vpg-lease';

export async function holdLease(deps: StepDeps, executionArn: string, vpg = 'web', kind: LeaseKind = 'sync'): Promise<number> {
  const got = await acquireLease(deps, vpg, { executionArn, kind }, 3600);
  if (!got.held) throw new Error(`test set-up: the lease of ${vpg} is not free: ${got.reason}`);
  return got.token;
}

/**
 * Where each half of a site is deployed. Without `recoverySite` everything is in one account and region, as the
 * stacks have always been (environment-agnostic unless the CDK environment pins them). With it, the protected side
 * (sync state machines, schedules, zSATs, snapshot steps) stays with the protected instances and the recovery site
 * (replica bucket, failback state machines, ZImporters, sweeper, monitoring) goes to `recoverySite.region` (and
 * `.account`), so that losing the protected region leaves the replica, the recovery and the alarms standing.
 *
 * Each side names the other by account and region literally: Step Functions and CloudWatch act only in their own
 * region (a task cannot invoke another region's Lambda, an alarm cannot notify another region's topic), and CDK
 * cannot reference a resource of a stack in another region, so the names are built by convention on both sides
 * (runtime/core/resource-names.ts).
 */
import type { Environment } from 'aws-cdk-lib';
import type { SiteConfig } from './config';

/** An account and a region another stack's resources are in; a field left out is the stack's own. */
export interface Location {
  readonly account?: string;
  readonly region?: string;
}

export type SitePart = 'whole' | 'protected' | 'recovery';

/** Where one stack's peers are, as it names them. */
export interface Peers {
  /** The sync state machines (and the protected instances). */
  readonly sync: Location;
  /** The failback state machines. */
  readonly failback: Location;
  /** The replica bucket. */
  readonly store: Location;
}

export interface SitePlacement {
  /** True when the recovery site is elsewhere (config `recoverySite`). */
  readonly split: boolean;
  /** The protected side's environment (undefined: environment-agnostic). */
  readonly protectedEnv?: Environment;
  /** The recovery site's environment (undefined: environment-agnostic, the same as the protected side). */
  readonly recoveryEnv?: Environment;
  /** How a stack of `part` names the others. */
  peersOf(part: SitePart): Peers;
}

export class PlacementError extends Error {
  override name = 'PlacementError';
}

const HERE: Location = {};
/** Every peer in the stack's own account and region: a whole site. */
export const ALL_HERE: Peers = { sync: HERE, failback: HERE, store: HERE };

/**
 * The placement of a site. `env` is the CDK environment the app runs in (CDK_DEFAULT_ACCOUNT/REGION; the CDK CLI
 * always sets the region, us-east-1 when no profile names one). With a recovery site the protected side must be
 * pinned to a region, so that the recovery site can name its state machines and instances.
 */
export function sitePlacement(config: SiteConfig, env?: Environment): SitePlacement {
  const recovery = config.recoverySite;
  if (!recovery) {
    return { split: false, protectedEnv: env, recoveryEnv: env, peersOf: () => ALL_HERE };
  }
  const protectedRegion = env?.region;
  if (!protectedRegion) {
    throw new PlacementError(
      'recoverySite needs the protected region: run `cdk synth`/`cdk deploy` with a region (AWS_REGION, or a profile that names one), which the CDK CLI passes as CDK_DEFAULT_REGION',
    );
  }
  const protectedAccount = env?.account;
  if (recovery.account && !protectedAccount) {
    throw new PlacementError(
      `recoverySite.account (${recovery.account}) needs the protected account: run cdk with credentials of the protected account, which the CDK CLI passes as CDK_DEFAULT_ACCOUNT`,
    );
  }
  const sameAccount = !recovery.account || recovery.account === protectedAccount;
  if (recovery.region === protectedRegion && sameAccount) {
    throw new PlacementError(
      `recoverySite.region is ${recovery.region}, the protected region itself: name another region (a recovery site in the same region is the default; leave recoverySite out for it)`,
    );
  }
  const recoveryAt: Location = { region: recovery.region, ...(sameAccount ? {} : { account: recovery.account }) };
  const protectedAt: Location = { region: protectedRegion, ...(sameAccount ? {} : { account: protectedAccount }) };
  return {
    split: true,
    protectedEnv: { account: protectedAccount, region: protectedRegion },
    recoveryEnv: { account: recovery.account ?? protectedAccount, region: recovery.region },
    peersOf: (part) =>
      part === 'protected'
        ? { sync: HERE, failback: recoveryAt, store: recoveryAt }
        : part === 'recovery'
          ? { sync: protectedAt, failback: HERE, store: HERE }
          : ALL_HERE,
  };
}

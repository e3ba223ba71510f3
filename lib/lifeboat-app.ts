/**
 * Composes a site: one site stack, then one stack per VPG. With a recovery site elsewhere (lib/site-placement.ts),
 * each of those is two: the protected side's beside the instances, the recovery site's in its region and account.
 * bin/app.ts and the tests call this. No blanket tags: every tag comes per resource from the tag table (runtime/core/tags.ts).
 */
import type { App, Environment } from 'aws-cdk-lib';
import type { SiteConfig } from './config';
import { LifeboatSiteStack } from './site-stack';
import { LifeboatVpgStack } from './vpg-stack';
import { addNagChecks } from './nag';
import { sitePlacement, type SitePart } from './site-placement';
import { protectedSiteStackName, siteStackName, vpgRecoveryStackName, vpgStackName } from '../runtime/core/resource-names';

export interface LifeboatAppOptions {
  /** Account/region to pin; none makes environment-agnostic stacks (a recovery site elsewhere needs the region). */
  readonly env?: Environment;
  /** Agent entry file (tests use a tiny one). */
  readonly agentEntry?: string;
  /** Folder of the step handlers (tests use tiny ones). */
  readonly handlersDir?: string;
  /** Run cdk-nag's AwsSolutions pack at synth: any unacknowledged finding fails the synth (lib/nag.ts). */
  readonly nag?: boolean;
}

export interface LifeboatStacks {
  /** `Lifeboat-<site>`: the whole site, or the recovery site of a split one (it holds the replica bucket either way). */
  readonly site: LifeboatSiteStack;
  /** `Lifeboat-<site>-Protected`: a split site's protected side. */
  readonly protectedSite?: LifeboatSiteStack;
  /** `Lifeboat-<site>-<vpg>`: each VPG's whole stack, or its protected side. */
  readonly vpgs: readonly LifeboatVpgStack[];
  /** `Lifeboat-<site>-<vpg>-Recovery`: each VPG's recovery-site stack of a split site. */
  readonly recoveryVpgs: readonly LifeboatVpgStack[];
}

export function addLifeboat(app: App, config: SiteConfig, options: LifeboatAppOptions = {}): LifeboatStacks {
  const placement = sitePlacement(config, options.env);
  const siteStack = (id: string, part: SitePart, env?: Environment) =>
    new LifeboatSiteStack(app, id, {
      config,
      part,
      peers: placement.peersOf(part),
      env,
      agentEntry: options.agentEntry,
      handlersDir: options.handlersDir,
    });
  const vpgStacks = (site: LifeboatSiteStack, name: (vpg: string) => string) =>
    config.vpgs.map(
      (vpg) =>
        new LifeboatVpgStack(app, name(vpg.name), {
          config,
          vpg,
          site,
          env: site.part === 'protected' ? placement.protectedEnv : placement.recoveryEnv,
          handlersDir: options.handlersDir,
        }),
    );
  let stacks: LifeboatStacks;
  if (!placement.split) {
    const site = siteStack(siteStackName(config.siteId), 'whole', options.env);
    stacks = { site, vpgs: vpgStacks(site, (vpg) => vpgStackName(config.siteId, vpg)), recoveryVpgs: [] };
  } else {
    const site = siteStack(siteStackName(config.siteId), 'recovery', placement.recoveryEnv);
    const protectedSite = siteStack(protectedSiteStackName(config.siteId), 'protected', placement.protectedEnv);
    stacks = {
      site,
      protectedSite,
      vpgs: vpgStacks(protectedSite, (vpg) => vpgStackName(config.siteId, vpg)),
      recoveryVpgs: vpgStacks(site, (vpg) => vpgRecoveryStackName(config.siteId, vpg)),
    };
  }
  // The constructs acknowledge what they accept as they are built (lib/nag-acks.ts); the checks run only where asked for.
  if (options.nag) addNagChecks(app);
  return stacks;
}

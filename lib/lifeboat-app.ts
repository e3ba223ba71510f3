/**
 * Composes a site: one site stack, then one stack per VPG. bin/app.ts and the tests call this.
 * No blanket tags: every tag comes per resource from the tag table (runtime/core/tags.ts).
 */
import type { App, Environment } from 'aws-cdk-lib';
import type { SiteConfig } from './config';
import { LifeboatSiteStack } from './site-stack';
import { LifeboatVpgStack } from './vpg-stack';
import { addNagChecks } from './nag';
import { siteStackName, vpgStackName } from '../runtime/core/resource-names';

export interface LifeboatAppOptions {
  /** Account/region to pin; none makes environment-agnostic stacks. */
  readonly env?: Environment;
  /** Agent entry file (tests use a tiny one). */
  readonly agentEntry?: string;
  /** Folder of the step handlers (tests use tiny ones). */
  readonly handlersDir?: string;
  /** Run cdk-nag's AwsSolutions pack at synth: any unacknowledged finding fails the synth (lib/nag.ts). */
  readonly nag?: boolean;
}

export interface LifeboatStacks {
  readonly site: LifeboatSiteStack;
  readonly vpgs: readonly LifeboatVpgStack[];
}

export function addLifeboat(app: App, config: SiteConfig, options: LifeboatAppOptions = {}): LifeboatStacks {
  const site = new LifeboatSiteStack(app, siteStackName(config.siteId), {
    config,
    env: options.env,
    agentEntry: options.agentEntry,
    handlersDir: options.handlersDir,
  });
  const vpgs = config.vpgs.map(
    (vpg) => new LifeboatVpgStack(app, vpgStackName(config.siteId, vpg.name), { config, vpg, site, env: options.env, handlersDir: options.handlersDir }),
  );
  // The constructs acknowledge what they accept as they are built (lib/nag-acks.ts); the checks run only where asked for.
  if (options.nag) addNagChecks(app);
  return { site, vpgs };
}

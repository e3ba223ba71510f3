/**
 * What every CLI verb needs: the site config, the VPG asked for, and the AWS clients. Works against AWS or
 * the offline cloud alike (the SDK honours AWS_ENDPOINT_URL).
 */
import { SFNClient, paginateListStateMachines, DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { ConfigError, loadConfig, type SiteConfig } from '../../lib/config';
import { type VpgRuntime } from '../../runtime/core/sync/contract';
import { vpgRuntimeSchema } from '../../runtime/core/sync/schemas';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { makeS3Client } from '../../runtime/aws/s3-client';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';

/** A usage error: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const DEFAULT_CONFIG = 'lifeboat.config.json';

export interface CliSite {
  readonly config: SiteConfig;
  /** Step Functions where the syncs run (the protected side: the CLI's own region). */
  readonly sfn: SFNClient;
  /** Step Functions of the recovery site (the failbacks): config recoverySite.region, else the same client. */
  readonly recoverySfn: SFNClient;
  /** The recovery site's region when it is elsewhere (config recoverySite.region). */
  readonly recoveryRegion?: string;
}

/**
 * The config, a bad one being bad usage (exit 2): for verbs whose exit 1 means something about the site (status:
 * a VPG is not protected; doctor: something blocks a sync).
 */
export function loadConfigAsUsage(configPath: string): SiteConfig {
  try {
    return loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export function openSite(configPath: string, load: (path: string) => SiteConfig = loadConfig): CliSite {
  const config = load(configPath);
  const sfn = new SFNClient({ maxAttempts: 8 });
  // the failbacks, the replica and the monitoring of a recovery site elsewhere are found there, protected region up or down
  const recoveryRegion = config.recoverySite?.region;
  return { config, sfn, recoverySfn: recoveryRegion ? new SFNClient({ maxAttempts: 8, region: recoveryRegion }) : sfn, recoveryRegion };
}

export function requireVpg(site: CliSite, vpg: string): void {
  const names = site.config.vpgs.map((v) => v.name);
  if (!names.includes(vpg)) {
    throw new UsageError(`unknown VPG '${vpg}'; the config defines: ${names.join(', ') || '(none)'}`);
  }
}

export type MachineKind = 'sync' | 'failback';

export async function findStateMachineArn(site: CliSite, vpg: string, kind: MachineKind): Promise<string> {
  const name = kind === 'sync' ? syncStateMachineName(site.config.siteId, vpg) : failbackStateMachineName(site.config.siteId, vpg);
  const client = kind === 'failback' ? site.recoverySfn : site.sfn;
  for await (const page of paginateListStateMachines({ client }, {})) {
    const hit = page.stateMachines?.find((m) => m.name === name);
    if (hit?.stateMachineArn) return hit.stateMachineArn;
  }
  throw new Error(`state machine ${name} is not deployed here (is the site stack deployed, and AWS_ENDPOINT_URL/AWS_REGION right?)`);
}

/** The VPG runtime a state machine embeds in its Init state: the CLI reads the store bucket from it. */
export async function vpgRuntimeOf(sfn: SFNClient, stateMachineArn: string): Promise<VpgRuntime> {
  const sm = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  const definition = JSON.parse(sm.definition ?? '{}') as { States?: Record<string, { Parameters?: { vpg?: unknown } }> };
  // the Init state's literal, read through the contract's schema (defaults applied, a malformed one refused)
  const embedded = Object.values(definition.States ?? {}).map((s) => vpgRuntimeSchema.safeParse(s.Parameters?.vpg));
  const vpg = embedded.find((r) => r.success && r.data.storeBucket)?.data;
  if (!vpg) throw new Error(`state machine ${stateMachineArn} does not describe its VPG (deployed by an older Lifeboat?)`);
  return vpg;
}

/**
 * The VPG's replica store, as its state machine describes it: the failback's of a recovery site elsewhere (reachable
 * with the protected region down), else the sync's.
 */
export async function openStore(site: CliSite, vpg: string): Promise<S3ReplicaStore> {
  const runtime = site.recoveryRegion
    ? await vpgRuntimeOf(site.recoverySfn, await findStateMachineArn(site, vpg, 'failback'))
    : await vpgRuntimeOf(site.sfn, await findStateMachineArn(site, vpg, 'sync'));
  const region = runtime.storeRegion || site.recoveryRegion;
  return new S3ReplicaStore({ bucket: runtime.storeBucket, ...(region ? { client: makeS3Client({ region }) } : {}) });
}

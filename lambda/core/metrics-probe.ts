/**
 * The RPO probe: every few minutes, per VPG, the age of its newest checkpoint and its running executions, as EMF.
 * It runs on its own schedule, so the RPO metric keeps coming even when the sync schedule or the syncs are broken.
 * Logic over ports; the Lambda handler (lambda/steps/rpo-probe-handler.ts) wires S3 and Step Functions in.
 */
import { probeMetrics, type EmfDocument } from './metrics';
import { checkpointIdFromKey, checkpointsPrefix, checkpointTimeFromId } from './replica-format';
import { failbackStateMachineName, syncStateMachineName } from './sync-contract';
import type { ExecutionsPort } from './sync-ports';

/** Environment of the probe function. */
export const PROBE_ENV = {
  siteId: 'LIFEBOAT_SITE_ID',
  bucket: 'LIFEBOAT_BUCKET',
  bucketRegion: 'LIFEBOAT_BUCKET_REGION',
  /** The VPG names, comma-separated (names are [a-z0-9-]). */
  vpgs: 'LIFEBOAT_PROBE_VPGS',
  /** `arn:<partition>:states:<region>:<account>:stateMachine:`; state machine names follow the contract's convention. */
  stateMachineArnPrefix: 'LIFEBOAT_STATE_MACHINE_ARN_PREFIX',
} as const;

export interface ProbeTarget {
  readonly vpg: string;
  readonly syncArn: string;
  readonly failbackArn: string;
}

export interface ProbeEnv {
  readonly siteId: string;
  readonly bucket: string;
  readonly bucketRegion?: string;
  readonly targets: readonly ProbeTarget[];
}

export function parseProbeEnv(env: Readonly<Record<string, string | undefined>>): ProbeEnv {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`environment variable ${name} is missing`);
    return v;
  };
  const siteId = need(PROBE_ENV.siteId);
  const prefix = need(PROBE_ENV.stateMachineArnPrefix);
  if (!/^arn:[^:]+:states:[^:]*:[^:]*:stateMachine:$/.test(prefix)) {
    throw new Error(`environment variable ${PROBE_ENV.stateMachineArnPrefix} must look like arn:aws:states:<region>:<account>:stateMachine:`);
  }
  const vpgs = need(PROBE_ENV.vpgs).split(',').map((v) => v.trim()).filter(Boolean);
  const targets = vpgs.map((vpg) => ({
    vpg,
    syncArn: `${prefix}${syncStateMachineName(siteId, vpg)}`,
    failbackArn: `${prefix}${failbackStateMachineName(siteId, vpg)}`,
  }));
  return { siteId, bucket: need(PROBE_ENV.bucket), bucketRegion: env[PROBE_ENV.bucketRegion] || undefined, targets };
}

/** Listing keys is all the probe needs of the store: checkpoint ids encode their time, so no manifest is read. */
export interface CheckpointKeysPort {
  listKeys(prefix: string): AsyncIterable<string>;
}

export interface LatestCheckpoint {
  readonly id: string;
  /** Second precision, from the id. */
  readonly at: string;
}

/** The newest committed checkpoint of a VPG, from one listing (ids sort as their times do). */
export async function latestCheckpoint(store: CheckpointKeysPort, vpg: string): Promise<LatestCheckpoint | null> {
  let latest: string | null = null;
  for await (const key of store.listKeys(checkpointsPrefix(vpg))) {
    const id = checkpointIdFromKey(key);
    if (id && checkpointTimeFromId(id) && (latest === null || id > latest)) latest = id;
  }
  return latest ? { id: latest, at: checkpointTimeFromId(latest)! } : null;
}

export interface ProbeDeps {
  readonly siteId: string;
  readonly store: CheckpointKeysPort;
  readonly executions: Pick<ExecutionsPort, 'listRunning'>;
  readonly now: () => Date;
}

export interface ProbeReport {
  readonly documents: EmfDocument[];
  /** One line per VPG figure that could not be read; those metrics are left out (an RPO gap reads as breaching). */
  readonly problems: string[];
}

export async function probeRpo(targets: readonly ProbeTarget[], deps: ProbeDeps): Promise<ProbeReport> {
  const documents: EmfDocument[] = [];
  const problems: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  for (const t of targets) {
    const latest = await attempt(`${t.vpg} checkpoints`, () => latestCheckpoint(deps.store, t.vpg));
    const syncs = await attempt(`${t.vpg} sync executions`, () => deps.executions.listRunning(t.syncArn));
    // A failback state machine may not be deployed yet: no figure then, not a failure.
    const failbacks = await attempt(`${t.vpg} failback executions`, () => deps.executions.listRunning(t.failbackArn));
    documents.push(
      probeMetrics(
        { site: deps.siteId, vpg: t.vpg },
        { lastCheckpointAt: latest?.at ?? null, runningSyncs: syncs?.length, runningFailbacks: failbacks?.length },
        deps.now(),
      ),
    );
  }
  return { documents, problems };
}

/**
 * The RPO probe: every few minutes, per VPG, the age of its newest checkpoint and its running executions, as EMF.
 * It runs on its own schedule, so the RPO metric keeps coming even when the sync schedule or the syncs are broken.
 * Logic over ports; the Lambda handler (runtime/handlers/rpo-probe-handler.ts) wires S3 and Step Functions in.
 */
import { probeMetrics, type EmfDocument } from './metrics';
import { checkpointIdFromKey, checkpointsPrefix, checkpointTimeFromId } from '../store/format';
import type { ProbeTarget } from '../step-env';
import type { ExecutionsPort } from '../ports';

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

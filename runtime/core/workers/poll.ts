/** Polling a worker (zSAT or ZImporter), for both roles: its instance, its volumes' attachment, its agent's progress. */
import type { AgentProgress } from './agent-job';
import { attachAgentVolumes } from './agent-volumes';
import { NotOurs } from '../errors';
import type { VpgRuntime, ZsatState } from '../sync/contract';
import type { StepDepsWith } from '../sync/deps';
import { isOurs } from '../tags';
import { MIN_WAIT_SECONDS, zsatWaitSeconds } from './wait-policy';
import { workerLabel, type WorkerKind } from './launch';

/** A poll talks to EC2 (the instance, its volumes) and the store (the agent's progress). */
export type WorkerPollDeps = StepDepsWith<'ec2' | 'store'>;

/** What a poll reads and rewrites of a role's state (ZsatState's and ImporterState's common keys); the rest passes through. */
export type WorkerPollState = Pick<ZsatState, 'done' | 'waitSeconds' | 'instanceId' | 'volumeIds' | 'blocksDone' | 'blocksTotal'> & {
  /** When the instance was launched: the heartbeat timeout runs from there until the first progress. */
  readonly launchedAt?: string;
};

/** One poll of a worker: what differs from one poll (and role) to the next. */
export interface WorkerPoll<S extends WorkerPollState> {
  readonly vpg: Pick<VpgRuntime, 'name' | 'pollSeconds' | 'heartbeatTimeoutSeconds'>;
  /** Where its agent keeps its AgentProgress. */
  readonly progressKey: string;
  /** The role's own work on each poll of a visible instance (the ZImporter renews its reader record), before its progress is read. */
  readonly everyPoll?: () => Promise<void>;
  /** The wait after an ordinary poll (the role's history budget), and what it adds to the state. */
  readonly pace: (ordinaryWait: number) => { readonly waitSeconds: number; readonly extra: Partial<S> };
}

export async function pollWorker<S extends WorkerPollState>(kind: WorkerKind, state: S, w: WorkerPoll<S>, deps: WorkerPollDeps): Promise<S> {
  const { vpg } = w;
  const { fail } = kind;
  const label = workerLabel(kind.role);
  const now = deps.now();
  const timeoutMs = vpg.heartbeatTimeoutSeconds * 1000;
  const [instance] = await deps.ec2.describeInstances({ ids: [state.instanceId] });
  const launchedAt = state.launchedAt ?? instance?.launchTime ?? now.toISOString();
  if (!instance) {
    // Right after RunInstances, Describe may not see the instance yet: tolerated up to the heartbeat timeout.
    if (now.getTime() - Date.parse(launchedAt) > timeoutMs) throw fail(`${label} ${state.instanceId} has disappeared`);
    return { ...state, launchedAt, waitSeconds: MIN_WAIT_SECONDS };
  }
  if (!isOurs(instance.tags, deps.env.siteId, vpg.name)) throw new NotOurs(`instance ${state.instanceId} is not a ${label} of VPG ${vpg.name}`);
  if (['shutting-down', 'terminated', 'stopping', 'stopped'].includes(instance.state)) {
    throw fail(`${label} ${state.instanceId} is ${instance.state} unexpectedly; the ${kind.work} of its volumes did not finish`);
  }
  const attached = instance.state === 'running' && (await attachAgentVolumes({ ...state, role: label }, deps, fail));
  await w.everyPoll?.();

  const progress = await deps.store.getJson<AgentProgress>(w.progressKey);
  if (progress?.state === 'failed') throw fail(`${label} ${state.instanceId} agent failed: ${progress.error ?? 'no error given'}`);
  const blocksDone = progress?.blocksDone ?? 0;
  const blocksTotal = kind.plannedTotal ? progress?.blocksTotal || state.blocksTotal : (progress?.blocksTotal ?? state.blocksTotal);
  if (progress?.state === 'done') {
    // Ended now, not at the run's end: it stops billing and frees its vCPUs for the workers still waiting on the
    // quota and a failback's recovered VMs (its volumes stay, for the sync's Cleanup or the failback's snapshots;
    // it is ours: checked above).
    await deps.ec2.terminateInstances([state.instanceId]);
    deps.log.info(`${label} done`, { instanceId: state.instanceId, blocksDone });
    return { ...state, launchedAt, done: true, waitSeconds: MIN_WAIT_SECONDS, blocksDone, blocksTotal };
  }
  const lastBeat = progress ? Date.parse(progress.updatedAt) : Date.parse(launchedAt);
  if (now.getTime() - lastBeat > timeoutMs) {
    if (progress) throw fail(`${label} ${state.instanceId} stopped reporting (last heartbeat ${progress.updatedAt})`);
    // never reported: its boot did not reach the agent, most often for want of a path to S3 from its subnet
    throw fail(
      `${label} ${state.instanceId} never reported (launched ${launchedAt}, heartbeat timeout ${vpg.heartbeatTimeoutSeconds} s): its boot did not reach the agent. ` +
        `Its console output says how far it got (aws ec2 get-console-output --instance-id ${state.instanceId}); lifeboat doctor checks that its subnet reaches S3`,
    );
  }
  const ordinaryWait = attached
    ? zsatWaitSeconds({
        blocksDone,
        blocksTotal,
        launchedAt,
        agentStartedAt: progress?.startedAt,
        now,
        pollSeconds: vpg.pollSeconds,
        heartbeatTimeoutSeconds: vpg.heartbeatTimeoutSeconds,
      })
    : MIN_WAIT_SECONDS;
  const { waitSeconds, extra } = w.pace(ordinaryWait);
  return { ...state, launchedAt, done: false, waitSeconds, blocksDone, blocksTotal, ...extra };
}

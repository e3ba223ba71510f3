/**
 * The polls one sync makes in AWS: the real CreateSnapshots/CheckSnapshots and SpawnZsat/PollZsat handlers
 * on a virtual clock over the step fakes, with EC2 moving on AWS's times (AWS_TIMINGS_MS) and an agent that
 * starts when its instance has booted. A run on the offline cloud cannot show these: it scales the Wait
 * states, but the handlers compute each wait from the real clock, so their estimates shrink with the scale.
 */
import type { AgentProgress, ReadJob } from '../../lambda/core/agent-job';
import { makeWorld, vpgRuntime, type World } from '../steps/fakes';
import { captureContents, runFakeAgent, steps, type State } from '../steps/sync-driver';

/**
 * EC2 as AWS times it: an instance is running ~15 s after RunInstances and its guest boots and starts the
 * user data ~30 s later; a volume from a snapshot is available in ~5 s; a snapshot completes in ~1 min.
 * The sync-cost and scale-out runs use these times, scaled like the state machines' waits: on the offline
 * cloud's instant EC2 every zSAT would be only CPU on the same 2 cores, and the polls would not be AWS's.
 */
export const AWS_TIMINGS_MS = { instanceMs: 15_000, bootMs: 30_000, volumeMs: 5_000, snapshotMs: 60_000 } as const;
export function awsTimings(scale: number): Record<keyof typeof AWS_TIMINGS_MS, number> {
  return { instanceMs: AWS_TIMINGS_MS.instanceMs * scale, bootMs: AWS_TIMINGS_MS.bootMs * scale, volumeMs: AWS_TIMINGS_MS.volumeMs * scale, snapshotMs: AWS_TIMINGS_MS.snapshotMs * scale };
}

export interface AwsPolls {
  /** CheckSnapshots calls for the sync's snapshot set. */
  readonly snapshots: number;
  /** PollZsat calls for one zSAT (every zSAT of a sync runs the same loop, side by side). */
  readonly perZsat: number;
}

const ms = (iso: string) => Date.parse(iso);

/** Snapshots progress linearly and complete snapshotMs after they start, as the offline cloud's do. */
function moveSnapshots(world: World): void {
  const now = world.clock.ms;
  for (const s of world.ec2.snapshots.values()) {
    if (s.state !== 'pending') continue;
    const elapsed = now - ms(s.startTime);
    if (elapsed >= AWS_TIMINGS_MS.snapshotMs) Object.assign(s, { state: 'completed', progress: 100 });
    else s.progress = Math.floor((100 * elapsed) / AWS_TIMINGS_MS.snapshotMs);
  }
}

/** Volumes become available volumeMs after launch, the instance runs instanceMs after it, its agent starts bootMs later. */
async function moveZsat(world: World, zsat: State, jobKey: string, readSeconds: number): Promise<void> {
  const since = world.clock.ms - ms(zsat.launchedAt);
  for (const id of zsat.volumeIds) {
    const v = world.ec2.volumes.get(id);
    if (v?.state === 'creating' && since >= AWS_TIMINGS_MS.volumeMs) v.state = 'available';
  }
  const instance = world.ec2.instances.get(zsat.instanceId)!;
  if (instance.state === 'pending' && since >= AWS_TIMINGS_MS.instanceMs) instance.state = 'running';
  const agentStart = AWS_TIMINGS_MS.instanceMs + AWS_TIMINGS_MS.bootMs;
  if (since < agentStart) return;
  if (since >= agentStart + readSeconds * 1000) return runFakeAgent(world, jobKey);
  const job = (await world.store.getJson<ReadJob>(jobKey))!;
  const progress: AgentProgress = {
    jobId: job.jobId,
    state: 'running',
    updatedAt: world.clock.now().toISOString(),
    startedAt: new Date(ms(zsat.launchedAt) + agentStart).toISOString(),
    blocksTotal: zsat.blocksTotal,
    blocksDone: Math.floor((zsat.blocksTotal * (since - agentStart)) / (readSeconds * 1000)),
    bytesRead: 0,
    bytesStored: 0,
  };
  await world.store.putJson(job.progressKey, progress);
}

/** One incremental-sized sync of one VM (two volumes, one zSAT) at the default 30 s poll; the zSAT reads for readSeconds. */
export async function awsPollsPerSync(readSeconds: number): Promise<AwsPolls> {
  const world = makeWorld();
  const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8, 1] });
  // ~100 MiB changed per volume (200 blocks of 512 KiB): enough blocks for the agent's progress to show its rate.
  const disks = new Map(vm.volumes.map((v) => [v.volumeId, new Map(Array.from({ length: 200 }, (_, b) => [b, `${v.volumeId}-${b}`] as const))]));
  const vpg = vpgRuntime({ pollSeconds: 30, heartbeatTimeoutSeconds: 300, volumesPerZsat: 4 });
  const s = steps(world);
  const state: State = { vpg, executionId: 'arn:aws:states:us-east-1:111122223333:execution:bench:aws-polls', stateMachineArn: 'bench', startedAt: world.clock.now().toISOString() };
  state.begin = await s.begin(state);
  state.snapshots = await s.createSnapshots(state);
  captureContents(world, disks);
  let snapshots = 0;
  while (!state.snapshots.ready) {
    world.clock.advance(state.snapshots.waitSeconds);
    moveSnapshots(world);
    state.snapshots = await s.checkSnapshots(state);
    snapshots++;
  }
  state.plan = await s.plan(state);
  const [assignment] = state.plan.zsats;
  const item: State = { vpg, syncId: state.begin.syncId, zsat: assignment, volumes: state.begin.volumes, snapshots: state.snapshots.snapshots };
  item.zsat = await s.spawnZsat(item);
  let perZsat = 0;
  while (!item.zsat.done) {
    world.clock.advance(item.zsat.waitSeconds);
    await moveZsat(world, item.zsat, assignment.jobKey, readSeconds);
    item.zsat = await s.pollZsat(item);
    perZsat++;
  }
  return { snapshots, perZsat };
}

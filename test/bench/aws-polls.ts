/**
 * The polls one sync makes in AWS: the real CreateSnapshots/CheckSnapshots and SpawnZsat/PollZsat handlers
 * on a virtual clock over the step fakes, with EC2 moving on AWS's times (AWS_TIMINGS) and an agent that
 * starts when its instance has booted. The sync-cost runs shorten EC2's times and scale their Waits to stay
 * quick, so their poll counts are not AWS's; this counts AWS's. (A run on the cloud clock at AWS's times
 * counts them too, slowly: the scale-out runs do.)
 */
import type { AgentProgress, ReadJob } from '../../runtime/core/workers/agent-job';
import { AWS_TIMINGS } from '@lifeboat/offline-cloud/src/aws-timings';
import { makeWorld, vpgRuntime, type World } from '../steps/fakes';
import { captureContents, runFakeAgent, steps, type State } from '../steps/sync-driver';

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
    if (elapsed >= AWS_TIMINGS.snapshotMs) Object.assign(s, { state: 'completed', progress: 100 });
    else s.progress = Math.floor((100 * elapsed) / AWS_TIMINGS.snapshotMs);
  }
}

/** Volumes become available volumeMs after launch, the instance runs instanceMs after it, its agent starts bootMs later. */
async function moveZsat(world: World, zsat: State, jobKey: string, readSeconds: number): Promise<void> {
  const since = world.clock.ms - ms(zsat.launchedAt);
  for (const id of zsat.volumeIds) {
    const v = world.ec2.volumes.get(id);
    if (v?.state === 'creating' && since >= AWS_TIMINGS.volumeMs) v.state = 'available';
  }
  const instance = world.ec2.instances.get(zsat.instanceId)!;
  if (instance.state === 'pending' && since >= AWS_TIMINGS.instanceMs) instance.state = 'running';
  const agentStart = AWS_TIMINGS.instanceMs + AWS_TIMINGS.bootMs;
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
  const state: State = {
    vpg,
    executionId: 'arn:aws:states:us-east-1:111122223333:execution:bench:aws-polls',
    stateMachineArn: 'bench',
    startedAt: world.clock.now().toISOString(),
  };
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

/**
 * Reads what `lifeboat status` shows, from AWS or the offline cloud (AWS_ENDPOINT_URL): per VPG, its newest
 * checkpoint (one key listing of the store, no manifest read), what the store holds that Lifeboat skips or cannot
 * use (S3ReplicaStore.inspect: listings, summaries and pack indexes, no block map), running sync/failback
 * executions, the last finished sync.
 */
import { DescribeExecutionCommand, ListExecutionsCommand, paginateListStateMachines, type SFNClient } from '@aws-sdk/client-sfn';
import { latestCheckpoint } from '../../runtime/core/monitoring/metrics-probe';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { makeS3Client } from '../../runtime/aws/s3-client';
import type { CliSite } from '../commands/context';
import { vpgRuntimeOf } from '../commands/context';
import { readableCause } from '../commands/executions';
import type { DepartedView, LastSync, LeaseView, VpgFigures } from './status-model';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { currentLease } from '../../runtime/core/lease/lease-guard';
import { departedSources } from '../../runtime/core/sync/departed-sources';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';

/** Who holds the lease now (a read, not a take). */
async function leaseView(coordination: S3Coordination, vpg: string): Promise<LeaseView | null> {
  const lease = await currentLease({ lease: coordination }, vpg);
  if (!lease) return null;
  return {
    holder: lease.holder?.executionArn ?? null,
    kind: lease.holder?.kind ?? null,
    token: lease.token,
    expiresAt: lease.expiresAt,
    delegate: lease.delegate?.executionArn ?? null,
  };
}

/** Volumes in an older checkpoint that the latest lacks, not released by a person. */
async function departed(store: S3ReplicaStore, coordination: S3Coordination, vpg: string): Promise<DepartedView[]> {
  const checkpoints = await store.listCheckpoints(vpg);
  const latest = checkpoints[checkpoints.length - 1];
  if (!latest) return [];
  const released = new Set((await coordination.releasedSources(vpg)).map((r) => r.sourceId));
  return departedSources(checkpoints, new Set(latest.volumes.map((v) => v.sourceVolumeId)), released);
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function stateMachinesByName(sfn: SFNClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    for (const m of page.stateMachines ?? []) if (m.name && m.stateMachineArn) out.set(m.name, m.stateMachineArn);
  }
  return out;
}

async function countRunning(sfn: SFNClient, stateMachineArn: string): Promise<number> {
  let n = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
    n += page.executions?.length ?? 0;
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return n;
}

/** The newest execution that has finished (ListExecutions lists newest first). */
async function lastFinished(sfn: SFNClient, stateMachineArn: string): Promise<LastSync | null> {
  const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 50 }));
  const done = page.executions?.find((e) => e.status && e.status !== 'RUNNING' && e.executionArn);
  if (!done) return null;
  let cause: string | null = null;
  if (done.status !== 'SUCCEEDED') cause = readableCause(await sfn.send(new DescribeExecutionCommand({ executionArn: done.executionArn })));
  return {
    status: done.status!,
    execution: done.executionArn!,
    startedAt: done.startDate ? new Date(done.startDate).toISOString() : '',
    stoppedAt: done.stopDate ? new Date(done.stopDate).toISOString() : null,
    cause,
  };
}

/** A region's state machines by name, or why they could not be listed (a region that is down). */
type Machines = Map<string, string> | Error;

async function listMachines(sfn: SFNClient): Promise<Machines> {
  return stateMachinesByName(sfn).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
}

/** The machines the site's two halves hold: the same listing for a site in one region. */
interface SiteMachines {
  readonly protected: Machines;
  readonly recovery: Machines;
}

async function vpgFigures(site: CliSite, machines: SiteMachines, vpg: { name: string; syncIntervalMinutes: number }): Promise<VpgFigures> {
  const problems: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    try {
      return await f();
    } catch (err) {
      problems.push(`${what}: ${message(err)}`);
      return null;
    }
  };
  /** `where`: ' here', ' in the protected region', ' in eu-west-1'. */
  const lookup = (listed: Machines, name: string, where: string): string | undefined => {
    if (listed instanceof Error) {
      problems.push(`listing state machines${where}: ${listed.message}`);
      return undefined;
    }
    const arn = listed.get(name);
    if (!arn) problems.push(`state machine ${name} is not deployed${where} (is the site deployed, and AWS_ENDPOINT_URL/AWS_REGION right?)`);
    return arn;
  };
  const syncName = syncStateMachineName(site.config.siteId, vpg.name);
  const split = site.recoveryRegion !== undefined;
  const syncArn = lookup(machines.protected, syncName, split ? ' in the protected region' : ' here');
  const failbackName = failbackStateMachineName(site.config.siteId, vpg.name);
  const failbackArn = split
    ? lookup(machines.recovery, failbackName, ` in ${site.recoveryRegion}`)
    : machines.protected instanceof Error
      ? undefined
      : machines.protected.get(failbackName);
  // The store as its state machine describes it: the failback's in the recovery site (readable with the protected
  // region down), else the sync's. It reports its problems here, in storeProblems, not as warnings on stderr.
  const described = split ? (failbackArn ? vpgRuntimeOf(site.recoverySfn, failbackArn) : null) : syncArn ? vpgRuntimeOf(site.sfn, syncArn) : null;
  const opened = described?.then((runtime) => {
    const region = runtime.storeRegion || site.recoveryRegion;
    const client = makeS3Client(region ? { region } : {});
    return {
      store: new S3ReplicaStore({ bucket: runtime.storeBucket, onProblem: () => {}, client }),
      coordination: new S3Coordination(runtime.storeBucket, client),
    };
  });
  opened?.catch(() => {}); // awaited (and reported) by each read below
  const store = opened?.then((o) => o.store);
  const coordination = opened?.then((o) => o.coordination);
  const [lastCheckpoint, storeProblems, runningSyncs, runningFailbacks, lastSync, lease, departedList] = await Promise.all([
    store ? attempt('reading checkpoints', async () => latestCheckpoint(await store, vpg.name)) : null,
    store ? attempt('inspecting the replica store', async () => (await store).inspect(vpg.name)) : null,
    syncArn ? attempt('listing running syncs', () => countRunning(site.sfn, syncArn)) : null,
    failbackArn ? attempt('listing running failbacks', () => countRunning(site.recoverySfn, failbackArn)) : null,
    syncArn ? attempt('reading the last sync', () => lastFinished(site.sfn, syncArn)) : null,
    coordination ? attempt('reading the lease', async () => leaseView(await coordination, vpg.name)) : null,
    store && coordination ? attempt('reading departed volumes', async () => departed(await store, await coordination, vpg.name)) : null,
  ]);
  return {
    vpg: vpg.name,
    syncIntervalMinutes: vpg.syncIntervalMinutes,
    lastCheckpoint,
    runningSyncs,
    runningFailbacks,
    lastSync,
    problems,
    storeProblems,
    lease,
    departed: departedList,
  };
}

export async function collectStatus(site: CliSite): Promise<VpgFigures[]> {
  const here = await listMachines(site.sfn);
  const machines = { protected: here, recovery: site.recoveryRegion ? await listMachines(site.recoverySfn) : here };
  return Promise.all(site.config.vpgs.map((v) => vpgFigures(site, machines, v)));
}

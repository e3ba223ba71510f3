/**
 * The faults the chaos suite injects, through hooks the offline cloud offers (it knows nothing of Lifeboat):
 * API faults (cloud.faults: throttling, 5xx, eventual consistency), a step's Lambda sandbox killed right after
 * its create call succeeded (sfn.killFunctionWorker, triggered by watching the EC2 wire), a zSAT agent killed
 * or ZImporter agent killed as soon as its process runs (killInstanceProcess), an execution stopped from
 * outside, and a cloud restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Cloud } from '@lifeboat/offline-cloud/src/cloud';
import type { CloudRequest, CloudResponse } from '@lifeboat/offline-cloud/src/service';
import { CHAOS_VPG } from './chaos-site';
import { vpgStepFunctionName } from '../../runtime/core/resource-names';

export type FaultKind =
  | 'throttle'
  | '5xx'
  | 'consistency'
  | 'lambda-crash'
  | 'agent-kill'
  | 'stop-execution'
  | 'restart'
  | 'overlapping-syncs'
  | 'stop-during-compaction'
  | 'sweeper-during-sync'
  | 'restart-mid-execution'
  | 'journal-aged';
export const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  '5xx',
  'consistency',
  'lambda-crash',
  'agent-kill',
  'stop-execution',
  'restart',
  'overlapping-syncs',
  'stop-during-compaction',
  'sweeper-during-sync',
  'restart-mid-execution',
  'journal-aged',
];

/** The step whose sandbox dies, and the create calls after which it dies. */
export type CrashStep = 'create-snapshots' | 'spawn-zsat';
const CRASH_AFTER: Record<CrashStep, readonly string[]> = { 'create-snapshots': ['CreateSnapshots'], 'spawn-zsat': ['RunInstances', 'CreateVolume'] };

/** A test-mode failback of the latest committed checkpoint after the run's sync, under the run's API faults. */
export interface FailbackPlan {
  /** Kill the first ZImporter's agent as soon as it runs: the failback must fail and clean up. */
  readonly agentKill: boolean;
  /** Stop the failback from outside once a ZImporter runs: only the sweeper can clean up. */
  readonly stopExecution: boolean;
}

export interface RunPlan {
  readonly apiFaults: boolean;
  readonly crashStep?: CrashStep;
  /** Kill the zSAT's agent once it has started reading a volume (mid-copy). */
  readonly agentKill: boolean;
  /** StopExecution once one of this sync's zSATs runs. */
  readonly stopExecution: boolean;
  readonly restartBefore: boolean;
  readonly failback?: FailbackPlan;
  /** Start two syncs at once while ListExecutions lags (the consistency fault): the lease lets one through. */
  readonly overlap?: boolean;
  /** Age every committed checkpoint past the (1 h) journal first, so this sync's compaction drops them. */
  readonly ageJournal?: boolean;
  /** StopExecution while CompactJournal runs (its Lambda runs on), then start the next sync at once. */
  readonly stopDuringCompaction?: boolean;
  /** Invoke the sweeper by hand with grace 0 while a zSAT reads. */
  readonly sweepDuringSync?: boolean;
  /** Restart the cloud while the sync runs, between two of its steps. */
  readonly restartMidExecution?: boolean;
}

/**
 * Templates the runs cycle through, so a short run still meets every kind of fault; the RNG adds extras.
 * Failbacks: a plain one (API faults only) in the first template, so `npm test`'s two runs hold exactly one;
 * a stopped one and one with a killed ZImporter in the third and fourth.
 */
const TEMPLATES: readonly RunPlan[] = [
  {
    apiFaults: true,
    crashStep: 'spawn-zsat',
    agentKill: false,
    stopExecution: false,
    restartBefore: false,
    failback: { agentKill: false, stopExecution: false },
    overlap: true,
  },
  { apiFaults: false, agentKill: false, stopExecution: true, restartBefore: true, sweepDuringSync: false },
  { apiFaults: true, agentKill: true, stopExecution: false, restartBefore: false, failback: { agentKill: false, stopExecution: true } },
  {
    apiFaults: true,
    crashStep: 'create-snapshots',
    agentKill: false,
    stopExecution: false,
    restartBefore: true,
    failback: { agentKill: true, stopExecution: false },
    ageJournal: true,
  },
  { apiFaults: false, agentKill: false, stopExecution: false, restartBefore: false, ageJournal: true, stopDuringCompaction: true },
  { apiFaults: false, agentKill: false, stopExecution: false, restartBefore: false, sweepDuringSync: true, overlap: true },
  { apiFaults: true, agentKill: false, stopExecution: false, restartBefore: false, restartMidExecution: true },
];

export function planRun(run: number, random: () => number): RunPlan {
  const base = TEMPLATES[run % TEMPLATES.length];
  // extras only where they do not mask each other (a stopped execution reads nothing to kill; a hand-run sweep or a
  // mid-execution restart must meet a sync that would otherwise commit)
  const quiet = base.stopExecution || base.sweepDuringSync || base.restartMidExecution || base.stopDuringCompaction;
  const crashStep = base.crashStep ?? (!quiet && random() < 0.3 ? (random() < 0.5 ? 'create-snapshots' : 'spawn-zsat') : undefined);
  if (quiet) return { ...base, crashStep, restartBefore: base.restartBefore || random() < 0.2 };
  return { ...base, apiFaults: base.apiFaults || random() < 0.5, crashStep, restartBefore: base.restartBefore || random() < 0.2 };
}

const actionOf = (req: CloudRequest) => new URLSearchParams(req.body.toString('utf8')).get('Action') ?? req.query.get('Action') ?? '';

export class FaultInjector {
  readonly counts: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  private crash?: { step: CrashStep; fn: string };
  private agentKill = false;
  private cloud!: Cloud;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly siteId: string) {}

  /** Hooks a (re)started cloud: watches EC2 responses to time the crash and agent kills. */
  install(cloud: Cloud): void {
    this.cloud = cloud;
    const handle = cloud.ec2.handle.bind(cloud.ec2);
    cloud.ec2.handle = async (req: CloudRequest): Promise<CloudResponse> => {
      const res = await handle(req);
      if (res.status === 200) this.observe(actionOf(req), res);
      return res;
    };
  }

  armCrash(step: CrashStep): void {
    // each VPG has its own step functions (lib/vpg-stack.ts)
    this.crash = { step, fn: vpgStepFunctionName(this.siteId, CHAOS_VPG, step) };
  }
  armAgentKill(): void {
    this.agentKill = true;
  }
  disarm(): void {
    this.crash = undefined;
    this.agentKill = false;
  }

  apiFaultsOn(seed: number): void {
    Object.assign(this.cloud.faults, { throttleRate: 0.2, serverErrorRate: 0.05, consistencyMs: 3000, seed });
  }

  /** Faults off, and what the cloud injected harvested into `counts` (the cloud's counters die with a restart). */
  apiFaultsOff(): void {
    Object.assign(this.cloud.faults, { throttleRate: 0, serverErrorRate: 0, consistencyMs: 0 });
    this.harvest();
  }

  harvest(): void {
    for (const kind of ['throttle', '5xx', 'consistency'] as const) {
      this.counts[kind] += this.cloud.faultCounts[kind] ?? 0;
      delete this.cloud.faultCounts[kind];
    }
  }

  count(kind: FaultKind): void {
    this.counts[kind] += 1;
  }

  /** Background kills still in flight (an agent kill polls until the agent process exists). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private observe(action: string, res: CloudResponse): void {
    if (this.crash && CRASH_AFTER[this.crash.step].includes(action)) {
      // the create happened; the sandbox that asked for it dies before it hears the answer
      if (this.cloud.sfn.killFunctionWorker(this.crash.fn)) {
        this.count('lambda-crash');
        this.crash = undefined;
      }
    }
    if (this.agentKill && action === 'RunInstances') {
      const id = /<instanceId>(i-[0-9a-f]+)<\/instanceId>/.exec(String(res.body ?? ''))?.[1];
      if (id) {
        this.agentKill = false;
        const kill = this.killWhenBooted(id).finally(() => this.pending.delete(kill));
        this.pending.add(kill);
      }
    }
  }

  /**
   * Polls until the instance's agent is copying (its console log, the agent's own log lines, says it is reading
   * or writing a volume), then kills it: mid-copy. Killing earlier would cancel the boot instead (a kill of a
   * booting instance is the offline cloud's stop; it returns false and the agent never starts). A job that ends
   * before the poll sees it copying is not killed, and not counted.
   */
  private async killWhenBooted(instanceId: string): Promise<void> {
    const consoleLog = path.join(this.cloud.ec2.instanceDir(instanceId), 'console.log');
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const text = fs.existsSync(consoleLog) ? fs.readFileSync(consoleLog, 'utf8') : '';
      if (/"job (done|failed)"/.test(text)) return;
      if (/"(reading|writing) volume"/.test(text) && this.cloud.killInstanceProcess(instanceId)) {
        this.count('agent-kill');
        return;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

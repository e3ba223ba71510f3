/**
 * One test-mode failback in the chaos suite: started through the synthesized failback state machine under the
 * run's API faults (and, as planned, a ZImporter agent killed as soon as it runs, or the execution stopped
 * once an importer runs). A succeeded failback's recovered VM must hold the checkpoint's volumes byte for
 * byte; whatever the end, `lifeboat failback-cleanup`'s function then removes the test VMs (the caller runs
 * the sweeper and counts what is left).
 */
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startExecution } from '../../bin/commands/executions';
import { captureVolumeImage, type VolumeImage } from '../../bin/demo/verify';
import { recoveredVolumes } from '../../bin/demo/recovered';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { Ec2Images } from '../../runtime/aws/ec2-images';
import type { FailbackOutput } from '../../runtime/core/failback/contract';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { StepFunctionsExecutions } from '../../runtime/aws/sfn-executions';
import { TAG } from '../../runtime/core/tags';
import type { FailbackPlan, FaultInjector } from './chaos-faults';
import { CHAOS_SITE, CHAOS_VPG, type ChaosSite } from './chaos-site';

export interface FailbackOutcome {
  readonly status: string;
  readonly cause?: string;
  /** What is wrong with a succeeded failback's recovered VM, or with the test-VM cleanup. */
  readonly problems: string[];
}

const DEADLINE_MS = 5 * 60_000;

async function waitForEnd(site: ChaosSite, executionArn: string): Promise<{ status: string; output?: string; cause?: string }> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const exec = await site.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (exec.status !== 'RUNNING') return { status: exec.status ?? 'UNKNOWN', output: exec.output, cause: exec.cause };
    if (Date.now() > deadline) throw new Error(`${executionArn} still running after ${DEADLINE_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stops the failback once a ZImporter runs (its importers and volumes then exist); false if it ended first. */
async function stopOnceImporting(site: ChaosSite, executionArn: string): Promise<boolean> {
  const deadline = Date.now() + 60_000;
  const importId = executionArn.split(':').pop()!;
  while (Date.now() < deadline) {
    const found = await site.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${TAG.role}`, Values: ['zimporter'] },
          { Name: `tag:${TAG.executionId}`, Values: [importId] },
          { Name: 'instance-state-name', Values: ['pending', 'running'] },
        ],
      }),
    );
    if ((found.Reservations ?? []).some((r) => (r.Instances ?? []).length > 0)) {
      await site.sfn.send(new StopExecutionCommand({ executionArn, error: 'Chaos', cause: 'failback stopped from outside by the chaos suite' }));
      return true;
    }
    const exec = await site.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (exec.status !== 'RUNNING') return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Problems of a recovered VM: each data disk must equal the checkpoint's image of its source volume, whole. */
async function recoveredProblems(site: ChaosSite, sourceInstanceId: string, out: FailbackOutput, images: readonly VolumeImage[]): Promise<string[]> {
  if (out.recoveredInstances.length !== 1) return [`failback recovered ${out.recoveredInstances.length} VMs, expected 1`];
  const vm = out.recoveredInstances[0].instanceId;
  const disks = await recoveredVolumes(site.ec2, sourceInstanceId, vm);
  const problems: string[] = [];
  for (const image of images) {
    const volumeId = disks.get(image.sourceVolumeId);
    if (!volumeId) {
      problems.push(`recovered VM ${vm} has no disk for ${image.sourceVolumeId}`);
      continue;
    }
    // the whole recovered volume is read: a stray block anywhere would show as an extra entry
    const got = await captureVolumeImage(site.url, { volumeId, sizeBytes: image.sizeBytes });
    const want = [...image.blocks].sort(([a], [b]) => a - b);
    const have = [...got.blocks].sort(([a], [b]) => a - b);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      const differ = new Set([...image.blocks.keys(), ...got.blocks.keys()].filter((b) => image.blocks.get(b) !== got.blocks.get(b)));
      problems.push(`recovered ${volumeId} differs from ${image.sourceVolumeId} at ${out.checkpointId} in blocks ${[...differ].slice(0, 8).join(', ')}`);
    }
  }
  return problems;
}

export async function oneFailback(
  site: ChaosSite,
  faults: FaultInjector,
  opts: {
    run: number;
    faultSeed: number;
    apiFaults: boolean;
    plan: FailbackPlan;
    sourceInstanceId: string;
    checkpointId: string;
    images: readonly VolumeImage[];
  },
): Promise<FailbackOutcome> {
  if (opts.plan.agentKill) faults.armAgentKill();
  if (opts.apiFaults) faults.apiFaultsOn(opts.faultSeed);
  const arn = await startExecution(site.sfn, site.failbackArn, { checkpoint: opts.checkpointId, mode: 'test' }, `chaosfb${opts.run}`);
  if (opts.plan.stopExecution && (await stopOnceImporting(site, arn))) faults.count('stop-execution');
  const end = await waitForEnd(site, arn);
  faults.apiFaultsOff();
  faults.disarm();
  await faults.settle();
  const problems: string[] = [];
  if (end.status === 'SUCCEEDED') {
    problems.push(...(await recoveredProblems(site, opts.sourceInstanceId, JSON.parse(end.output ?? '{}') as FailbackOutput, opts.images)));
  }
  // what `lifeboat failback-cleanup` runs: the test VMs go, whatever the failback's end
  const failbacks = { stateMachineArn: site.failbackArn, executions: new StepFunctionsExecutions(site.sfn) };
  const cleanup = await removeTestRecoveredVms(new Ec2Adapter(site.ec2), { siteId: CHAOS_SITE, vpg: CHAOS_VPG, failbacks, images: new Ec2Images(site.ec2) });
  if (cleanup.volumesLeft.length) problems.push(`failback-cleanup left attached volumes: ${cleanup.volumesLeft.join(', ')}`);
  return { status: end.status, cause: end.cause, problems };
}

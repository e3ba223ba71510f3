/** The main job's script: every step prints as it goes; the summary and the verification end it. */
import fs from 'node:fs';
import path from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../lib/config';
import { BLOCK_SIZE } from '../../runtime/core/workers/agent-job';
import { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { startCloud } from '@lifeboat/offline-cloud/src/cloud';
import { putRegionOutage } from '@lifeboat/offline-cloud/src/region-outage';
import { vpgRuntimeOf } from '../commands/context';
import { synthesize } from './synth';
import { createProtectedInstance, seededBytes, writePattern, writeVolume } from './workload';
import { captureVolumeImage, compareBlockMap, type VolumeImage } from './verify';
import { runSync, type SyncFigures } from './run-sync';
import { leftovers, ownedResources } from './inventory';
import { checkRecovered, exportAndCheck, failback, removeTestVms, type RecoveryDemo } from './recovery-demo';
import { devicesOf, keptWithVm } from './recovered';
import { runDoctor } from '../doctor/run-doctor';
import { renderReport } from '../doctor/doctor-model';
import { doctorClients } from '../commands/doctor';
import { failbackStateMachineName, syncStateMachineName } from '../../runtime/core/resource-names';
import { makeS3Client } from '../../runtime/aws/s3-client';

export interface DemoOptions {
  readonly configPath: string;
  readonly workDir: string;
  readonly denseMiB: number;
  readonly keep: boolean;
  /** The recovery site's region when the config names none (the story needs one elsewhere). */
  readonly recoveryRegion: string;
}

const say = (line: string) => console.log(line);
/** The offline cloud's clock runs 20x faster than AWS's: a 30 s poll takes 1.5 s, an instance boots in 1.3 s; durations print in AWS seconds. */
const DEMO_TIME_SCALE = 20;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/**
 * The config the demo deploys: the user's, with a recovery site in another region when it names none, written beside
 * the demo's other files (the user's file is not touched).
 */
function demoConfig(opts: DemoOptions): { path: string; recoveryAdded: boolean } {
  const raw = JSON.parse(fs.readFileSync(opts.configPath, 'utf8')) as Record<string, unknown>;
  if (raw.recoverySite) return { path: opts.configPath, recoveryAdded: false };
  const out = path.join(opts.workDir, 'lifeboat.config.json');
  fs.writeFileSync(out, JSON.stringify({ ...raw, recoverySite: { region: opts.recoveryRegion } }, null, 2));
  return { path: out, recoveryAdded: true };
}

export async function runDemo(opts: DemoOptions): Promise<boolean> {
  const demo = demoConfig(opts);
  const config = loadConfig(demo.path);
  const vpg = config.vpgs[0];
  const selector = 'tags' in vpg.instances && vpg.instances.tags ? vpg.instances.tags : undefined;
  if (!selector) throw new Error(`the demo needs a VPG that selects instances by tags; ${vpg.name} does not`);
  const recoveryRegion = config.recoverySite!.region;

  const assembly = path.join(opts.workDir, 'cdk.out');
  say(`1/10 synthesizing the app for site ${config.siteId} (${config.vpgs.length} VPG), its recovery site in ${recoveryRegion} ...`);
  if (demo.recoveryAdded) say(`    (the config names no recoverySite: the demo adds {"region": "${recoveryRegion}"})`);
  await synthesize(demo.path, assembly);

  say('2/10 starting the offline cloud and deploying the assembly ...');
  const cloud = await startCloud({ dataDir: path.join(opts.workDir, 'cloud'), assemblyDir: assembly, quiet: true, timeScale: DEMO_TIME_SCALE });
  // every SDK client of this process talks to the offline cloud, with dummy credentials
  process.env.AWS_ENDPOINT_URL = cloud.url;
  process.env.AWS_REGION = cloud.ctx.region;
  process.env.AWS_ACCESS_KEY_ID ??= 'offline';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'offline';
  const protectedRegion = cloud.ctx.region;
  const ec2 = new EC2Client({});
  const sfn = new SFNClient({});
  const there = { ec2: new EC2Client({ region: recoveryRegion }), sfn: new SFNClient({ region: recoveryRegion }) };
  try {
    say(`    offline cloud at ${cloud.url}: the protected site in ${protectedRegion}, the recovery site in ${recoveryRegion}`);
    say(`3/10 launching a protected instance in ${protectedRegion} (tags ${JSON.stringify(selector)}) with a dense and a sparse volume ...`);
    const app = await createProtectedInstance(ec2, { tags: selector, volumeSizesGiB: [1, 2] });
    const [dense, sparse] = app.volumes;
    await writeVolume(cloud.url, dense.volumeId, 0, seededBytes('dense', opts.denseMiB * 1024 * 1024));
    await writePattern(cloud.url, sparse, { seed: 'sparse-1', runs: 3, runBlocks: 8, scattered: 12 });
    const sourceDevices = await devicesOf(ec2, app.instanceId);
    say(`    ${app.instanceId}: ${dense.volumeId} (${opts.denseMiB} MiB random), ${sparse.volumeId} (2 GiB, sparse)`);

    say(
      `4/10 preflight: lifeboat doctor (${protectedRegion}: instances, zones, subnets, path to S3, quota; ${recoveryRegion}: failback, ZImporters, mapping; keys, bucket, alerts) ...`,
    );
    const preflight = await runDoctor(config, doctorClients(), doctorClients(recoveryRegion));
    for (const line of renderReport(preflight, false).trimEnd().split('\n')) say(`    ${line}`);
    if (!preflight.ok) {
      say('    the preflight found what would block a sync or a failback: the demo stops here');
      return false;
    }

    const smArn = `arn:aws:states:${protectedRegion}:${cloud.ctx.accountId}:stateMachine:${syncStateMachineName(config.siteId, vpg.name)}`;
    const failbackArn = `arn:aws:states:${recoveryRegion}:${cloud.ctx.accountId}:stateMachine:${failbackStateMachineName(config.siteId, vpg.name)}`;
    const images: Array<Map<string, VolumeImage>> = [];
    const syncs: SyncFigures[] = [];
    const snapshotImages = async () => new Map((await Promise.all(app.volumes.map((v) => captureVolumeImage(cloud.url, v)))).map((i) => [i.sourceVolumeId, i]));

    say(`5/10 first sync in ${protectedRegion} into the replica in ${recoveryRegion} (reads every allocated block) ...`);
    images.push(await snapshotImages());
    syncs.push(await runSync(sfn, smArn, 'sync 1'));

    say('6/10 the workload writes (runs, scattered unaligned writes, a trim); second sync (reads only changed blocks) ...');
    await writePattern(cloud.url, dense, { seed: 'dense-2', runs: 2, runBlocks: 4, scattered: 6, trim: [3] });
    await writePattern(cloud.url, sparse, { seed: 'sparse-2', runs: 1, runBlocks: 16, scattered: 5 });
    images.push(await snapshotImages());
    syncs.push(await runSync(sfn, smArn, 'sync 2'));

    say(`7/10 verifying the replica store in ${recoveryRegion} against each volume at each checkpoint ...`);
    const runtime = await vpgRuntimeOf(there.sfn, failbackArn);
    const store = new S3ReplicaStore({ bucket: runtime.storeBucket, client: makeS3Client({ region: runtime.storeRegion || recoveryRegion }) });
    let ok = true;
    for (const [i, sync] of syncs.entries()) {
      for (const image of images[i].values()) {
        const resolved = await store.resolveVolume(vpg.name, sync.checkpointId, image.sourceVolumeId);
        const check = compareBlockMap(resolved, image);
        let blocksVerified = 0;
        for (const ref of new Set(resolved.values())) {
          if (ref === 'zero') continue;
          await store.readBlock(vpg.name, ref); // throws unless the stored bytes hash to ref
          blocksVerified++;
        }
        const verdict = check.mismatches.length === 0 ? 'identical' : `${check.mismatches.length} MISMATCHES`;
        say(`    ${sync.checkpointId} ${image.sourceVolumeId}: ${check.blocksCompared} blocks compared, ${blocksVerified} stored blocks re-hashed: ${verdict}`);
        for (const m of check.mismatches.slice(0, 5)) say(`      ${m}`);
        ok &&= check.mismatches.length === 0;
      }
    }

    const recovery: RecoveryDemo = {
      ...there,
      endpoint: cloud.url,
      store,
      siteId: config.siteId,
      vpg: vpg.name,
      app,
      sourceDevices,
      workDir: opts.workDir,
      say,
      failbackArn,
    };
    say(`8/10 a DR drill in ${recoveryRegion}: test failback of the first checkpoint, then failback-cleanup ...`);
    const drill = await failback(recovery, syncs[0].checkpointId, 'test');
    ok = (await checkRecovered(recovery, drill, images[0], 'test failback')) && ok;
    await removeTestVms(recovery);

    say('9/10 exporting the dense volume of the first checkpoint as raw and qcow2 ...');
    ok = (await exportAndCheck(recovery, syncs[0].checkpointId, images[0].get(dense.volumeId)!)) && ok;

    say(`10/10 disaster: ${protectedRegion} goes down (a last write is never replicated); failover in ${recoveryRegion} ...`);
    await writePattern(cloud.url, sparse, { seed: 'sparse-3', runs: 1, runBlocks: 2, scattered: 1 });
    await putRegionOutage(cloud.url, protectedRegion, true);
    let kept = new Set<string>();
    let failoverVm = '';
    try {
      const failover = await failback(recovery, 'latest', 'failover');
      // the failover recovers the last checkpoint that reached the replica: the second sync's
      ok = (await checkRecovered(recovery, failover, images[1], 'failover')) && ok;
      failoverVm = failover.recoveredInstances[0].instanceId;
      kept = await keptWithVm(there.ec2, failoverVm);
    } finally {
      await putRegionOutage(cloud.url, protectedRegion, false);
    }

    const lastCheckpoint = await store.getCheckpoint(vpg.name, syncs[1].checkpointId);
    const bases = new Set(lastCheckpoint?.volumes.map((v) => v.snapshotId) ?? []);
    // what a failover produced is the point of it: the recovered VM, its volumes and its image's snapshots stay
    const left = [
      ...leftovers(await ownedResources(ec2, config.siteId), bases),
      ...leftovers(await ownedResources(there.ec2, config.siteId), new Set()).filter((id) => !kept.has(id)),
    ];
    printSummary(syncs, left, bases.size);
    say(`the failover VM ${failoverVm} runs in ${recoveryRegion} with ${kept.size - 1} disk(s) and image snapshot(s) kept beside it`);
    ok &&= left.length === 0;
    say(ok ? 'RESULT: every checkpoint, drill, export and the failover reproduce their volumes byte for byte; nothing leaked.' : 'RESULT: FAILED (see above).');
    if (opts.keep) {
      say(`the offline cloud keeps running at ${cloud.url}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
    return ok;
  } finally {
    await cloud.stop();
  }
}

function printSummary(syncs: readonly SyncFigures[], left: readonly string[], bases: number): void {
  say('');
  say('sync     checkpoint                            planned  read  stored      read bytes  AWS time  transitions  lambdas');
  for (const [i, s] of syncs.entries()) {
    say(
      `${String(i + 1).padEnd(8)} ${s.checkpointId.padEnd(37)} ${String(s.blocksPlanned).padStart(7)} ${String(s.blocksRead).padStart(5)} ` +
        `${mib(s.bytesStored).padStart(11)} ${mib(s.bytesRead).padStart(11)} ${(s.durationMs / 1000).toFixed(1).padStart(8)}s ` +
        `${String(s.transitions).padStart(12)} ${String(s.lambdaInvocations).padStart(8)}`,
    );
  }
  say(`blocks are ${BLOCK_SIZE / 1024} KiB; resources left behind: ${left.length === 0 ? 'none' : left.join(', ')} (besides ${bases} base snapshot(s))`);
}

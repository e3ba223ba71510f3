/**
 * The second half of the main job, in the recovery site: a test failback (a drill) of the first checkpoint, an
 * export of one volume as raw and qcow2, and, with the protected region down, a failover of the latest; each
 * result checked byte for byte against what the protected volume held at that instant (SHA-256 of the volume).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { Ec2Adapter } from '../../runtime/aws/ec2-adapter';
import { Ec2Images } from '../../runtime/aws/ec2-images';
import { removeTestRecoveredVms } from '../../runtime/core/failback/test-cleanup';
import { StepFunctionsExecutions } from '../../runtime/aws/sfn-executions';
import { exportCheckpointVolume } from '../export/export-volume';
import { captureVolumeImage, type VolumeImage } from './verify';
import { recoveredTwins } from './recovered';
import { runFailback, type FailbackFigures } from './run-failback';
import type { ProtectedInstance } from './workload';

export interface RecoveryDemo {
  /** Clients of the recovery site's region. */
  readonly ec2: EC2Client;
  readonly sfn: SFNClient;
  readonly endpoint: string;
  readonly failbackArn: string;
  readonly store: S3ReplicaStore;
  readonly siteId: string;
  readonly vpg: string;
  readonly app: ProtectedInstance;
  /** The protected instance's device name → volume id, read while its region was up. */
  readonly sourceDevices: ReadonlyMap<string, string>;
  readonly workDir: string;
  readonly say: (line: string) => void;
}

/** Compares every protected data volume with its recovered twin; true when all are identical. */
export async function checkRecovered(d: RecoveryDemo, run: FailbackFigures, expected: ReadonlyMap<string, VolumeImage>, label: string): Promise<boolean> {
  const vm = run.recoveredInstances.find((r) => r.sourceInstanceId === d.app.instanceId);
  if (!vm) throw new Error(`${label}: no recovered VM for ${d.app.instanceId}`);
  const twins = await recoveredTwins(d.ec2, d.sourceDevices, vm.instanceId);
  let ok = true;
  for (const [sourceVolumeId, image] of expected) {
    const got = await captureVolumeImage(d.endpoint, { volumeId: twins.get(sourceVolumeId)!, sizeBytes: image.sizeBytes });
    const same = got.sha256 === image.sha256;
    d.say(
      `    ${label}: ${vm.instanceId} disk for ${sourceVolumeId}: sha256 ${got.sha256.slice(0, 16)}… ${same ? 'identical' : `DIFFERS from ${image.sha256.slice(0, 16)}…`}`,
    );
    ok &&= same;
  }
  const written = run.volumes.reduce((n, v) => n + v.bytesWritten, 0);
  d.say(
    `    ${label}: checkpoint ${run.checkpointId}, ${(written / 1024 / 1024).toFixed(1)} MiB written, ${(run.durationMs / 1000).toFixed(1)} AWS s, ${run.transitions} transitions`,
  );
  return ok;
}

export async function failback(d: RecoveryDemo, checkpoint: string, mode: 'test' | 'live' | 'failover'): Promise<FailbackFigures> {
  return runFailback(d.sfn, d.failbackArn, { checkpoint, mode }, `failback (${mode})`);
}

/** Exports one volume of a checkpoint as raw and qcow2; the raw image must hash like the volume did. */
export async function exportAndCheck(d: RecoveryDemo, checkpointId: string, image: VolumeImage): Promise<boolean> {
  const raw = path.join(d.workDir, `${image.sourceVolumeId}.raw`);
  const qcow2 = path.join(d.workDir, `${image.sourceVolumeId}.qcow2`);
  const base = { store: d.store, vpg: d.vpg, sourceVolumeId: image.sourceVolumeId, checkpoint: checkpointId };
  const r = await exportCheckpointVolume({ ...base, format: 'raw', output: raw });
  await exportCheckpointVolume({ ...base, format: 'qcow2', output: qcow2 });
  const sha = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(raw, { highWaterMark: 8 * 1024 * 1024 })) sha.update(chunk as Buffer);
  const same = sha.digest('hex') === image.sha256;
  const onDisk = fs.statSync(raw).blocks * 512;
  d.say(
    `    export raw: ${(r.sizeBytes / 1024 ** 3).toFixed(1)} GiB image, ${(onDisk / 1024 / 1024).toFixed(1)} MiB on disk (sparse), ${r.mibPerSecond.toFixed(0)} MiB/s: ${same ? 'identical to the volume' : 'DIFFERS'}`,
  );
  let qcowOk = true;
  try {
    execFileSync('qemu-img', ['check', qcow2], { stdio: 'pipe' });
    execFileSync('qemu-img', ['compare', '-f', 'qcow2', '-F', 'raw', qcow2, raw], { stdio: 'pipe' });
    d.say('    export qcow2: qemu-img check passes; qemu-img compare: identical to the raw export');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    d.say(
      missing
        ? '    export qcow2: written; qemu-img is not installed, so it was not compared (apt-get install qemu-utils)'
        : `    export qcow2: qemu-img says: ${String((err as { stdout?: Buffer }).stdout ?? err)}`,
    );
    qcowOk = missing;
  }
  fs.rmSync(raw, { force: true });
  fs.rmSync(qcow2, { force: true });
  return same && qcowOk;
}

export async function removeTestVms(d: RecoveryDemo): Promise<void> {
  const failbacks = { stateMachineArn: d.failbackArn, executions: new StepFunctionsExecutions(d.sfn) };
  const report = await removeTestRecoveredVms(new Ec2Adapter(d.ec2), { siteId: d.siteId, vpg: d.vpg, failbacks, images: new Ec2Images(d.ec2) });
  d.say(`    failback-cleanup: ${report.terminatedInstances.length} test VM(s) terminated, ${report.deletedVolumes.length} volume(s) deleted`);
}

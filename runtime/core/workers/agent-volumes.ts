/** Attaching an agent instance's (a zSAT's or a ZImporter's) volumes from its poll step, as they become ready. */
import { Conflict, KMS_KEY_FIX } from '../errors';
import type { ResourceQuery, StepLog, VolumeInfo } from '../ports';
import { zsatDeviceName } from '../sync/zsat-grouping';

export interface VolumeAttachPort {
  describeVolumes(query: ResourceQuery): Promise<VolumeInfo[]>;
  attachVolume(volumeId: string, instanceId: string, device: string): Promise<void>;
}

export interface AgentVolumes {
  readonly instanceId: string;
  /** In device order: the volume at position i goes to zsatDeviceName(i). */
  readonly volumeIds: readonly string[];
  /** 'zSAT' or 'ZImporter', named in errors and logs. */
  readonly role: string;
}

/**
 * Why an encrypted volume may end in `error`: EC2 could not use its KMS key with the step's identity (AWS checks the key
 * after CreateVolume has answered). The cause names the key and the fix (docs/kms.md).
 */
export function keyHint(volume: { kmsKeyId?: string }): string {
  if (!volume.kmsKeyId) return '';
  return ` (encrypted under KMS key ${volume.kmsKeyId}: ${KMS_KEY_FIX})`;
}

/**
 * Attaches every volume that is available and not yet attached; true once every volume is attached or
 * attaching. An attach completes in seconds and the agent waits for its device, so a poll that has
 * started the last attach need not come back early to see it through; one that failed shows at the next.
 */
export async function attachAgentVolumes(
  agent: AgentVolumes,
  deps: { ec2: VolumeAttachPort; log: StepLog },
  fail: (message: string) => Error,
): Promise<boolean> {
  const found = new Map((await deps.ec2.describeVolumes({ ids: agent.volumeIds })).map((v) => [v.volumeId, v]));
  let allUnderWay = true;
  for (const [position, volumeId] of agent.volumeIds.entries()) {
    const volume = found.get(volumeId);
    if (volume?.attachments.some((a) => a.instanceId === agent.instanceId && a.state !== 'detached')) continue;
    if (!volume || volume.state !== 'available') {
      if (volume?.state === 'error') throw fail(`${agent.role} volume ${volumeId} failed to create${keyHint(volume)}`);
      if (volume?.attachments.some((a) => a.state !== 'detached')) {
        throw fail(`${agent.role} volume ${volumeId} is attached to another instance (${volume.attachments[0].instanceId})`);
      }
      allUnderWay = false; // not visible or not created yet
      continue;
    }
    try {
      await deps.ec2.attachVolume(volumeId, agent.instanceId, zsatDeviceName(position));
      deps.log.info(`${agent.role} volume attaching`, { volumeId, instanceId: agent.instanceId, device: zsatDeviceName(position) });
    } catch (err) {
      // A state that changed between Describe and Attach: the next poll tries again.
      if (!(err instanceof Conflict)) throw err;
      deps.log.warn('attach deferred', { volumeId, error: err.message });
      allUnderWay = false;
    }
  }
  return allUnderWay;
}

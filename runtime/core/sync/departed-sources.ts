/**
 * Protection never ends silently: a volume that some committed checkpoint holds and the VPG no longer selects
 * (its instance lost the selector tag, was terminated, or the volume was detached) has *departed*. Each sync
 * reports it, and compaction keeps the newest checkpoint holding it (with its chain) past the journal, until a
 * person releases it (`lifeboat release <vpg> <volume-or-instance-id>`, or the config's releasedSources). Pure.
 */
import type { DepartedSource } from './contract';

type Held = { readonly id: string; readonly volumes: ReadonlyArray<{ readonly sourceVolumeId: string; readonly sourceInstanceId: string }> };

/** Released by id of the volume or of its instance. */
function isReleased(v: { sourceVolumeId: string; sourceInstanceId: string }, released: ReadonlySet<string>): boolean {
  return released.has(v.sourceVolumeId) || released.has(v.sourceInstanceId);
}

/**
 * Sources in `checkpoints` (oldest first) that are not in `selected` (volume ids the VPG protects now) and not
 * released, each with the newest checkpoint holding it.
 */
export function departedSources(checkpoints: readonly Held[], selected: ReadonlySet<string>, released: ReadonlySet<string>): DepartedSource[] {
  const last = new Map<string, DepartedSource>();
  for (const c of checkpoints) {
    for (const v of c.volumes) {
      if (selected.has(v.sourceVolumeId) || isReleased(v, released)) continue;
      last.set(v.sourceVolumeId, { sourceVolumeId: v.sourceVolumeId, sourceInstanceId: v.sourceInstanceId, lastCheckpointId: c.id });
    }
  }
  return [...last.values()].sort((a, b) => a.sourceVolumeId.localeCompare(b.sourceVolumeId));
}

/**
 * The checkpoints compaction must keep for departed sources: relative to the newest checkpoint (it holds what the
 * VPG selects now), the newest older checkpoint holding each unreleased source the newest lacks.
 */
export function retainedForDeparted(checkpoints: readonly Held[], released: ReadonlySet<string>): Set<string> {
  const newest = checkpoints[checkpoints.length - 1];
  if (!newest) return new Set();
  const selected = new Set(newest.volumes.map((v) => v.sourceVolumeId));
  return new Set(departedSources(checkpoints, selected, released).map((d) => d.lastCheckpointId));
}

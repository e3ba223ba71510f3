/** What an end-to-end sync must leave: a checkpoint that reproduces the volumes byte for byte, and only its base snapshots. */
import { captureVolumeImage, compareBlockMap, type VolumeImage } from '../../bin/demo/verify';
import { leftovers, ownedResources } from '../../bin/demo/inventory';
import type { ProtectedInstance } from '../../bin/demo/workload';
import type { S3ReplicaStore } from '../../runtime/aws/s3-replica-store';
import { ZERO_BLOCK } from '../../runtime/core/workers/agent-job';
import type { TestSite } from './site';

/** The protected volumes' bytes now, by source volume id. */
export async function volumeImages(site: TestSite, instances: readonly ProtectedInstance[]): Promise<Map<string, VolumeImage>> {
  const all = await Promise.all(instances.flatMap((i) => i.volumes).map((v) => captureVolumeImage(site.url, v)));
  return new Map(all.map((i) => [i.sourceVolumeId, i]));
}

/** Every block of every volume resolves to what the volume held, and every block the checkpoint names is readable. */
export async function expectStoreReproduces(site: TestSite, vpg: string, checkpointId: string, expected: Map<string, VolumeImage>): Promise<void> {
  await expectCheckpointReproduces(await site.store(vpg), vpg, checkpointId, expected);
}

/** The same, from a given store (one of another region, or opened while the protected region is down). */
export async function expectCheckpointReproduces(store: S3ReplicaStore, vpg: string, checkpointId: string, expected: Map<string, VolumeImage>): Promise<void> {
  for (const image of expected.values()) {
    const resolved = await store.resolveVolume(vpg, checkpointId, image.sourceVolumeId);
    expect(compareBlockMap(resolved, image).mismatches).toEqual([]);
    // every referenced block read back from its pack and checked against its SHA-256
    for (const ref of new Set(resolved.values())) if (ref !== ZERO_BLOCK) await store.readBlock(vpg, ref);
  }
}

/** Nothing of the site's is left in EC2 but the checkpoint's base snapshots. */
export async function expectOnlyBaseSnapshotsLeft(site: TestSite, vpg: string, checkpointId: string): Promise<void> {
  const store = await site.store(vpg);
  const cp = await store.getCheckpoint(vpg, checkpointId);
  const bases = new Set(cp!.volumes.map((v) => v.snapshotId));
  const inv = await ownedResources(site.ec2, site.siteId);
  expect(leftovers(inv, bases)).toEqual([]);
  expect(inv.snapshots.sort()).toEqual([...bases].sort());
}

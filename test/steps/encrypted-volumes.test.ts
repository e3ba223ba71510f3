/**
 * Encrypted protected volumes over the in-memory fakes: the sync carries each volume's KMS key from Begin into the
 * checkpoint (where a failback finds the key to encrypt the recovered volume under), and a worker volume that EC2 left
 * in `error` because its key could not be used fails the poll with a cause naming the key and the fix.
 */
import { attachAgentVolumes } from '../../runtime/core/workers/agent-volumes';
import { SyncFailed } from '../../runtime/core/errors';
import { makeWorld, vpgRuntime } from './fakes';
import { runSync } from './sync-driver';

const KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('encrypted volumes', () => {
  it("a sync keeps each volume's key in Begin's output and in the checkpoint; an unencrypted volume has none", async () => {
    const world = makeWorld();
    const vm = world.ec2.addInstance({ tags: { app: 'web' }, volumesGiB: [8, 1] });
    const [plain, encrypted] = vm.volumes.map((v) => v.volumeId);
    world.ec2.volumes.get(encrypted)!.kmsKeyId = KEY;
    const disks = new Map([
      [plain, new Map([[0, 'boot']])],
      [encrypted, new Map([[2, 'secret']])],
    ]);
    const state = await runSync(world, vpgRuntime(), disks);
    const keys = (volumes: Array<{ sourceVolumeId?: string; volumeId?: string; kmsKeyId?: string }>) =>
      Object.fromEntries(volumes.map((v) => [v.sourceVolumeId ?? v.volumeId, v.kmsKeyId]));
    expect(keys(state.begin.volumes)).toEqual({ [plain]: undefined, [encrypted]: KEY });
    const checkpoint = (await world.store.getCheckpoint('web', state.commit.checkpointId))!;
    expect(keys([...checkpoint.volumes])).toEqual({ [plain]: undefined, [encrypted]: KEY });
    const listed = (await world.store.listCheckpoints('web')).find((c) => c.id === checkpoint.id)!;
    expect(keys([...listed.volumes])).toEqual({ [plain]: undefined, [encrypted]: KEY });
  });

  it('a worker volume in error under a KMS key fails with the key and the fix; one without a key says only that it failed', async () => {
    const world = makeWorld();
    const keyed = world.ec2.addVolume({});
    Object.assign(keyed, { state: 'error', kmsKeyId: KEY });
    const plain = world.ec2.addVolume({});
    plain.state = 'error';
    const attach = (volumeId: string) =>
      attachAgentVolumes({ instanceId: 'i-0aaaaaaaaaaaaaaaa', volumeIds: [volumeId], role: 'zSAT' }, world.deps, (m) => new SyncFailed(m));
    await expect(attach(keyed.volumeId)).rejects.toThrow(
      new RegExp(`zSAT volume ${keyed.volumeId} failed to create \\(encrypted under KMS key ${KEY}: .*key policy.*kms\\.keyArns.*docs/kms\\.md\\)`),
    );
    await expect(attach(plain.volumeId)).rejects.toThrow(new RegExp(`^zSAT volume ${plain.volumeId} failed to create$`));
  });
});

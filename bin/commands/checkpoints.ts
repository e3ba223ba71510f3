/** `lifeboat checkpoints <vpg> [--json]`: the VPG's committed checkpoints, oldest first. */
import type { Command } from 'commander';
import { DEFAULT_CONFIG, openSite, openStore, requireVpg } from './context';

export function register(program: Command): void {
  program
    .command('checkpoints')
    .description("list a VPG's committed checkpoints, oldest first")
    .argument('<vpg>', 'VPG name from the config')
    .option('--json', 'print a JSON array')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: { json?: boolean; config: string }) => {
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      const store = await openStore(site, vpg);
      const checkpoints = await store.listCheckpoints(vpg);
      const rows = checkpoints.map((c) => ({
        id: c.id,
        createdAt: c.createdAt,
        parentId: c.parentId,
        volumes: c.volumes.map((v) => ({
          sourceVolumeId: v.sourceVolumeId,
          sourceInstanceId: v.sourceInstanceId,
          sizeBytes: v.sizeBytes,
          blocksChanged: v.blocksChanged,
          blocksRead: v.blocksRead,
          bytesStored: v.bytesStored,
          snapshotId: v.snapshotId,
        })),
      }));
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      if (rows.length === 0) {
        console.log(`no checkpoints yet for ${vpg}`);
        return;
      }
      for (const c of rows) {
        const changed = c.volumes.reduce((n, v) => n + v.blocksChanged, 0);
        console.log(`${c.id}  ${c.createdAt}  ${c.volumes.length} volume(s), ${changed} block(s) changed`);
      }
    });
}

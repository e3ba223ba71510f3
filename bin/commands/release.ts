/**
 * `lifeboat release <vpg> <volume-or-instance-id> [--note TEXT]`: a person confirms that a protected volume (or
 * every volume of an instance) left the VPG on purpose. Until then each sync reports it as departed and journal
 * compaction keeps its last copy; after it, its copies age out with the journal like any other.
 */
import type { Command } from 'commander';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { departedSources } from '../../runtime/core/sync/departed-sources';
import { DEFAULT_CONFIG, openSite, openStore, requireVpg, UsageError } from './context';

const SOURCE_ID = /^(vol|i)-[0-9a-f]{8,17}$/;

export function register(program: Command): void {
  program
    .command('release')
    .description('confirm that a volume (vol-…) or an instance (i-…) left a VPG on purpose: its copies may then age out with the journal')
    .argument('<vpg>', 'VPG name from the config')
    .argument('<source>', 'the protected volume or instance id')
    .option('--note <text>', 'why it left (kept with the confirmation)')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, source: string, opts: { config: string; note?: string }) => {
      if (!SOURCE_ID.test(source)) throw new UsageError(`source must be a volume id (vol-…) or an instance id (i-…), not ${JSON.stringify(source)}`);
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      const store = await openStore(site, vpg);
      const coordination = new S3Coordination(store.bucket);
      const checkpoints = await store.listCheckpoints(vpg);
      const latest = checkpoints[checkpoints.length - 1];
      const departed = latest ? departedSources(checkpoints, new Set(latest.volumes.map((v) => v.sourceVolumeId)), new Set()) : [];
      const matching = departed.filter((d) => d.sourceVolumeId === source || d.sourceInstanceId === source);
      if (matching.length === 0) {
        const known = departed.map((d) => `${d.sourceVolumeId} (${d.sourceInstanceId})`).join(', ') || 'none';
        throw new Error(`${source} has not left VPG ${vpg}: the latest checkpoint still holds it, or no checkpoint ever did; departed now: ${known}`);
      }
      await coordination.putReleased(vpg, { format: 1, sourceId: source, releasedAt: new Date().toISOString(), ...(opts.note ? { note: opts.note } : {}) });
      for (const d of matching)
        console.log(
          `released ${d.sourceVolumeId} (instance ${d.sourceInstanceId}) from VPG ${vpg}: its copies, last in ${d.lastCheckpointId}, now age out with the journal`,
        );
    });
}

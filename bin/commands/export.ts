/**
 * `lifeboat export <vpg> --volume <id> [--checkpoint latest|<id>|<ISO time>] --format raw|qcow2 -o FILE`:
 * one volume of a checkpoint, out of the replica store, as a disk image for a hypervisor.
 */
import { Option, type Command } from 'commander';
import { exportCheckpointVolume, summaryLine } from '../export/export-volume';
import { IMAGE_FORMATS, type ImageFormat } from '../export/image-writer';
import { DEFAULT_CONFIG, openSite, openStore, requireVpg } from './context';
import { createProgress } from './progress';
import { S3Coordination } from '../../runtime/aws/s3-coordination';
import { beginReading, endReading, markReading } from '../../runtime/core/store/checkpoint-readers';

/** The export's reader record lasts this long without a renewal; it renews every few minutes while it writes. */
const READER_HORIZON_SECONDS = 3600;
const RENEW_EVERY_MS = 5 * 60_000;

interface ExportOptions {
  volume: string;
  checkpoint: string;
  format: ImageFormat;
  output: string;
  config: string;
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write one volume of a checkpoint out of the replica store as a disk image (raw sparse or qcow2)')
    .argument('<vpg>', 'VPG name from the config')
    .requiredOption('--volume <id>', 'the protected (source) volume id')
    .option('--checkpoint <spec>', "'latest', a checkpoint id, or an ISO time (the newest checkpoint at or before it)", 'latest')
    .addOption(new Option('--format <format>', 'image format').choices(IMAGE_FORMATS).makeOptionMandatory())
    .requiredOption('-o, --output <file>', 'image file to write (replaced only when the export succeeds)')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (vpg: string, opts: ExportOptions) => {
      const site = openSite(opts.config);
      requireVpg(site, vpg);
      const store = await openStore(site, vpg);
      // a reader of the store: journal compaction leaves the checkpoint it reads alone until it is done
      const readers = { readers: new S3Coordination(store.bucket), store, now: () => new Date() };
      const who = { id: `export-${Date.now().toString(36)}-${process.pid}`, kind: 'export' as const };
      const { dropping, registeredAt } = await beginReading(readers, vpg, who, READER_HORIZON_SECONDS);
      let reading: string | null = null;
      let renewedAt = Date.now();
      const renew = () => {
        if (!reading || Date.now() - renewedAt < RENEW_EVERY_MS) return;
        renewedAt = Date.now();
        void markReading(readers, vpg, who, reading, READER_HORIZON_SECONDS, registeredAt).catch(() => undefined);
      };
      const progress = createProgress(`export ${opts.volume}`);
      let result;
      try {
        result = await exportCheckpointVolume({
          store,
          vpg,
          sourceVolumeId: opts.volume,
          checkpoint: opts.checkpoint,
          format: opts.format,
          output: opts.output,
          onStart: (checkpointId, _volume, total) => {
            progress.phase(`checkpoint ${checkpointId}`);
            progress.update(0, total);
          },
          onProgress: (done, total) => {
            progress.update(done, total);
            renew();
          },
          reading: {
            dropping,
            chosen: async (checkpointId) => {
              reading = checkpointId;
              await markReading(readers, vpg, who, checkpointId, READER_HORIZON_SECONDS, registeredAt);
            },
          },
        });
      } finally {
        progress.stop();
        await endReading(readers, vpg, who.id).catch(() => undefined); // a stale record expires by itself
      }
      console.log(summaryLine(result, opts.format, opts.output));
    });
}

/**
 * `lifeboat status [--json]`: per VPG, its newest checkpoint, achieved RPO against target and alarm threshold,
 * running executions, last sync and the replica store's problems. Exit 0 when every VPG is within its alarm
 * threshold, 1 when any is breached, has never synced or has a damaged store (docs/operations.md).
 */
import type { Command } from 'commander';
import { collectStatus } from '../status/collect';
import { statusExitCode, statusRow } from '../status/status-model';
import { renderTable, useColour } from '../status/status-table';
import { DEFAULT_CONFIG, loadConfigAsUsage, openSite, type CliSite } from './context';

export function register(program: Command): void {
  program
    .command('status')
    .description("every VPG's last checkpoint, achieved RPO against its target, running executions, last sync and store problems")
    .option('--json', 'print a JSON array, one object per VPG (keys in docs/operations.md)')
    .option('--config <path>', 'site config file', DEFAULT_CONFIG)
    .action(async (opts: { json?: boolean; config: string }) => {
      const site = openConfig(opts.config);
      const figures = await collectStatus(site);
      const now = new Date();
      const rows = figures.map((f) => statusRow(f, site.config.alerts.rpoAlarmMultiple, now));
      if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else process.stdout.write(renderTable(rows, useColour(process.stdout, process.env)));
      process.exitCode = statusExitCode(rows);
    });
}

/** A bad config is bad usage here (exit 2), so exit 1 keeps meaning "a VPG is not protected". */
function openConfig(path: string): CliSite {
  return openSite(path, loadConfigAsUsage);
}

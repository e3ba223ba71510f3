/** `lifeboat status` for people: a table, one row per VPG, coloured by RPO status when the output is a terminal. */
import { formatDuration, type VpgStatus, type VpgStatusRow } from './status-model';

const COLOUR: Readonly<Record<VpgStatus, string>> = {
  ok: '\x1b[32m',
  late: '\x1b[33m',
  breached: '\x1b[31m',
  never: '\x1b[31m',
  damaged: '\x1b[31m',
  departed: '\x1b[31m',
};
const RESET = '\x1b[0m';

/** Colour only on a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

const HEADERS = ['VPG', 'STATUS', 'RPO', 'TARGET', 'ALARM AT', 'LAST CHECKPOINT', 'TAKEN AT', 'RUNNING', 'LAST SYNC'];

function cells(r: VpgStatusRow): string[] {
  const running = `${r.runningExecutions.sync ?? '?'} sync, ${r.runningExecutions.failback ?? '-'} failback`;
  const last = r.lastSync ? `${r.lastSync.status.toLowerCase()}${r.lastSync.stoppedAt ? ` ${r.lastSync.stoppedAt}` : ''}` : '-';
  return [
    r.vpg,
    r.status,
    r.rpoSeconds === null ? 'never' : formatDuration(r.rpoSeconds),
    formatDuration(r.targetSeconds),
    formatDuration(r.alarmSeconds),
    r.lastCheckpointId ?? '-',
    r.lastCheckpointAt ?? '-',
    running,
    last,
  ];
}

export function renderTable(rows: readonly VpgStatusRow[], colour: boolean): string {
  const table = [HEADERS, ...rows.map(cells)];
  const widths = HEADERS.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row, i) => {
    const text = row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
    const status = i === 0 ? undefined : rows[i - 1].status;
    return colour && status ? `${COLOUR[status]}${text}${RESET}` : text;
  });
  // Causes and read problems under the table, so the table stays one line per VPG.
  for (const r of rows) {
    if (r.lastSync?.cause) lines.push(`${r.vpg}: last sync ${r.lastSync.status.toLowerCase()}: ${r.lastSync.cause}`);
    for (const p of r.problems) lines.push(`${r.vpg}: ${p}`);
    for (const p of r.storeProblems ?? []) lines.push(`${r.vpg}: store: ${p.kind} ${p.key}: ${p.reason}`);
    for (const d of r.departed ?? []) {
      lines.push(
        `${r.vpg}: protection ended: volume ${d.sourceVolumeId} (instance ${d.sourceInstanceId}) left the VPG; its last copy is ${d.lastCheckpointId}, kept until you run: lifeboat release ${r.vpg} ${d.sourceVolumeId}`,
      );
    }
    if (r.lease?.holder)
      lines.push(
        `${r.vpg}: lease held by ${r.lease.kind} ${r.lease.holder} (token ${r.lease.token}, until ${r.lease.expiresAt})${r.lease.delegate ? `, its final sync ${r.lease.delegate} acting for it` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What `lifeboat doctor` reports: one line per check, each ok, warning or problem, a problem with the fix. Exit 0
 * when nothing blocks a sync or a failback (warnings allowed), 1 otherwise. Pure.
 */
export type CheckStatus = 'ok' | 'warning' | 'problem';

export interface DoctorCheck {
  /** The VPG the check is about; null for the site (its bucket, its topic, the account's quota). */
  readonly vpg: string | null;
  /** What was checked, short and stable (a machine may group by it): 'network', 'kms', 'vcpu-quota', … */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly detail: string;
  /** What to do about a warning or a problem. */
  readonly fix?: string;
}

export const ok = (vpg: string | null, check: string, detail: string): DoctorCheck => ({ vpg, check, status: 'ok', detail });
export const warning = (vpg: string | null, check: string, detail: string, fix: string): DoctorCheck => ({ vpg, check, status: 'warning', detail, fix });
export const problem = (vpg: string | null, check: string, detail: string, fix: string): DoctorCheck => ({ vpg, check, status: 'problem', detail, fix });

export interface DoctorReport {
  /** True when no check is a problem: a first sync and a failback can run. */
  readonly ok: boolean;
  readonly problems: number;
  readonly warnings: number;
  readonly checks: readonly DoctorCheck[];
}

export function doctorReport(checks: readonly DoctorCheck[]): DoctorReport {
  const problems = checks.filter((c) => c.status === 'problem').length;
  return { ok: problems === 0, problems, warnings: checks.filter((c) => c.status === 'warning').length, checks };
}

export const doctorExitCode = (report: DoctorReport): 0 | 1 => (report.ok ? 0 : 1);

const LABEL: Record<CheckStatus, string> = { ok: 'ok     ', warning: 'warning', problem: 'problem' };
const COLOUR: Record<CheckStatus, string> = { ok: '\u001b[32m', warning: '\u001b[33m', problem: '\u001b[31m' };

/** One line per check (`problem  web  network  …  fix: …`), then a summary line. */
export function renderReport(report: DoctorReport, colour: boolean): string {
  const scopeWidth = Math.max(4, ...report.checks.map((c) => (c.vpg ?? 'site').length));
  const checkWidth = Math.max(...report.checks.map((c) => c.check.length), 5);
  const lines = report.checks.map((c) => {
    const label = colour ? `${COLOUR[c.status]}${LABEL[c.status]}\u001b[0m` : LABEL[c.status];
    const fix = c.fix ? `\n${' '.repeat(13 + scopeWidth + checkWidth)}fix: ${c.fix}` : '';
    return `${label}  ${(c.vpg ?? 'site').padEnd(scopeWidth)}  ${c.check.padEnd(checkWidth)}  ${c.detail}${fix}`;
  });
  const verdict = report.ok
    ? `nothing blocks a sync or a failback (${report.warnings} warning${report.warnings === 1 ? '' : 's'})`
    : report.problems === 1
      ? '1 problem blocks a sync or a failback; fix it and run lifeboat doctor again'
      : `${report.problems} problems block a sync or a failback; fix them and run lifeboat doctor again`;
  return `${lines.join('\n')}\n${verdict}\n`;
}

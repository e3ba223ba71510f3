/** `lifeboat status` rows, exit code and table, from given figures (the e2e test reads real ones). */
import { formatDuration, statusExitCode, statusRow, type VpgFigures } from '../../bin/status/status-model';
import { renderTable, useColour } from '../../bin/status/status-table';

const now = new Date('2026-11-25T12:00:00Z');
const figures = (over: Partial<VpgFigures>): VpgFigures => ({
  vpg: 'web',
  syncIntervalMinutes: 15,
  lastCheckpoint: { id: 'cp-20261125T115000Z-abc', at: '2026-11-25T11:50:00.000Z' },
  runningSyncs: 0,
  runningFailbacks: 0,
  lastSync: null,
  problems: [],
  storeProblems: [],
  ...over,
});
const at = (minutesAgo: number) => ({ id: 'cp-x', at: new Date(now.getTime() - minutesAgo * 60_000).toISOString() });

describe('status rows', () => {
  it('carry the stable keys, the achieved RPO against target and alarm threshold', () => {
    const row = statusRow(figures({ runningSyncs: 1 }), 2, now);
    expect(row).toEqual({
      vpg: 'web',
      lastCheckpointId: 'cp-20261125T115000Z-abc',
      lastCheckpointAt: '2026-11-25T11:50:00.000Z',
      rpoSeconds: 600,
      targetSeconds: 900,
      alarmSeconds: 1800,
      status: 'ok',
      runningExecutions: { sync: 1, failback: 0 },
      lastSync: null,
      problems: [],
      storeProblems: [],
      lease: null,
      departed: [],
    });
  });

  it('a volume that left the VPG (not released) makes the VPG departed, never ok, exit 1, with the command to confirm', () => {
    const departed = [{ sourceVolumeId: 'vol-1', sourceInstanceId: 'i-1', lastCheckpointId: 'cp-20261125T110000Z-abc' }];
    const row = statusRow(figures({ departed }), 2, now);
    expect(row.status).toBe('departed');
    expect(statusExitCode([row])).toBe(1);
    expect(renderTable([row], false)).toContain(
      'web: protection ended: volume vol-1 (instance i-1) left the VPG; its last copy is cp-20261125T110000Z-abc, kept until you run: lifeboat release web vol-1',
    );
    // a breached RPO says worse, and stays
    expect(statusRow(figures({ departed, lastCheckpoint: at(60) }), 2, now).status).toBe('breached');
  });

  it('names the lease holder under the table', () => {
    const lease = {
      holder: 'arn:aws:states:us-east-1:1:execution:lifeboat-s-web-failback:mig',
      kind: 'failback' as const,
      token: 7,
      expiresAt: '2026-11-25T12:30:00.000Z',
      delegate: null,
    };
    const row = statusRow(figures({ lease }), 2, now);
    expect(row.lease).toEqual(lease);
    expect(renderTable([row], false)).toContain(
      'web: lease held by failback arn:aws:states:us-east-1:1:execution:lifeboat-s-web-failback:mig (token 7, until 2026-11-25T12:30:00.000Z)',
    );
  });

  it('are ok within the interval, late within the multiple, breached beyond, never without a checkpoint', () => {
    expect(statusRow(figures({ lastCheckpoint: at(15) }), 2, now).status).toBe('ok');
    expect(statusRow(figures({ lastCheckpoint: at(16) }), 2, now).status).toBe('late');
    expect(statusRow(figures({ lastCheckpoint: at(31) }), 2, now).status).toBe('breached');
    expect(statusRow(figures({ lastCheckpoint: at(31) }), 3, now).status).toBe('late');
    expect(statusRow(figures({ lastCheckpoint: null }), 2, now)).toMatchObject({ status: 'never', rpoSeconds: null, lastCheckpointId: null });
  });

  it('exit 0 while every VPG is within its alarm threshold, 1 once one is breached or never synced', () => {
    const ok = statusRow(figures({}), 2, now);
    const late = statusRow(figures({ lastCheckpoint: at(20) }), 2, now);
    expect(statusExitCode([ok, late])).toBe(0);
    expect(statusExitCode([ok, statusRow(figures({ lastCheckpoint: at(60) }), 2, now)])).toBe(1);
    expect(statusExitCode([ok, statusRow(figures({ lastCheckpoint: null }), 2, now)])).toBe(1);
    expect(statusExitCode([])).toBe(0);
  });
});

describe('store problems', () => {
  const stray = {
    kind: 'stray-object' as const,
    key: 'vpgs/web/checkpoints/cp-copy (1).json',
    reason: 'not a name Lifeboat writes under checkpoints/, so it is ignored',
  };
  const disabled = {
    kind: 'unreadable-pack-index' as const,
    key: `vpgs/web/packs/${'a'.repeat(64)}.idx.json`,
    reason: 'pack index is not JSON; pack … is disabled',
  };

  it('a VPG with store problems is never ok: damaged, exit 1, the problems in storeProblems', () => {
    const row = statusRow(figures({ storeProblems: [stray, disabled] }), 2, now);
    expect(row).toMatchObject({ status: 'damaged', rpoSeconds: 600, storeProblems: [stray, disabled] });
    expect(statusRow(figures({ lastCheckpoint: at(20), storeProblems: [stray] }), 2, now).status).toBe('damaged');
    expect(statusExitCode([row])).toBe(1);
    expect(statusExitCode([statusRow(figures({}), 2, now)])).toBe(0);
  });

  it('breached and never stay as they are (already worse); unreadable store problems are null, with the reason in problems', () => {
    expect(statusRow(figures({ lastCheckpoint: at(60), storeProblems: [stray] }), 2, now).status).toBe('breached');
    expect(statusRow(figures({ lastCheckpoint: null, storeProblems: [stray] }), 2, now).status).toBe('never');
    const unread = statusRow(figures({ storeProblems: null, problems: ['inspecting the replica store: AccessDenied'] }), 2, now);
    expect(unread).toMatchObject({ status: 'ok', storeProblems: null });
  });

  it('the table marks the row damaged, in red, and lists each problem under it', () => {
    const lines = renderTable([statusRow(figures({ storeProblems: [stray] }), 2, now)], true)
      .trimEnd()
      .split('\n');
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern looks for
    expect(lines[1]).toMatch(/^\x1b\[31mweb\s+damaged\s+10m00s/);
    expect(lines[2]).toBe(`web: store: stray-object ${stray.key}: ${stray.reason}`);
  });
});

describe('status table', () => {
  const rows = [
    statusRow(figures({}), 2, now),
    statusRow(figures({ vpg: 'db', lastCheckpoint: at(20) }), 2, now),
    statusRow(
      figures({
        vpg: 'files',
        lastCheckpoint: null,
        runningFailbacks: null,
        lastSync: {
          status: 'FAILED',
          execution: 'arn:e',
          startedAt: '2026-11-25T11:00:00.000Z',
          stoppedAt: '2026-11-25T11:05:00.000Z',
          cause: 'SyncFailed: zSAT 0 stopped reporting',
        },
        problems: ['listing running failbacks: AccessDenied'],
      }),
      2,
      now,
    ),
  ];

  it('one aligned line per VPG, then causes and problems; no escape codes without colour', () => {
    const text = renderTable(rows, false);
    expect(text).not.toContain('\x1b[');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^VPG\s+STATUS\s+RPO\s+TARGET\s+ALARM AT\s+LAST CHECKPOINT/);
    expect(lines[1]).toMatch(/^web\s+ok\s+10m00s\s+15m00s\s+30m00s\s+cp-20261125T115000Z-abc/);
    expect(lines[2]).toMatch(/^db\s+late\s+20m00s/);
    expect(lines[3]).toMatch(/^files\s+never\s+never\s.*0 sync, - failback\s+failed 2026-11-25T11:05:00.000Z$/);
    expect(lines.slice(4)).toEqual(['files: last sync failed: SyncFailed: zSAT 0 stopped reporting', 'files: listing running failbacks: AccessDenied']);
    expect(lines[1].indexOf('15m00s')).toBe(lines[0].indexOf('TARGET'));
  });

  it('colours each row by status: green ok, yellow late, red breached or never', () => {
    const lines = renderTable(rows, true).split('\n');
    expect(lines[0]).not.toContain('\x1b[');
    expect(lines[1].startsWith('\x1b[32m')).toBe(true);
    expect(lines[2].startsWith('\x1b[33m')).toBe(true);
    expect(lines[3].startsWith('\x1b[31m')).toBe(true);
    expect(lines[3].endsWith('\x1b[0m')).toBe(true);
  });

  it('colour only on a terminal without NO_COLOR', () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(useColour({}, {})).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColour({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('durations read at a glance', () => {
    expect([5, 75, 3600, 7260, 90061].map(formatDuration)).toEqual(['5s', '1m15s', '1h00m', '2h01m', '1d01h']);
  });
});

import { clampWait, snapshotWaitSeconds, zsatWaitSeconds } from '../../runtime/core/workers/wait-policy';

const now = new Date('2026-11-25T12:10:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000).toISOString();

describe('wait policy', () => {
  it('clamps between 5 s and pollSeconds*4', () => {
    expect(clampWait(1, 30)).toBe(5);
    expect(clampWait(1000, 30)).toBe(120);
    expect(clampWait(Number.POSITIVE_INFINITY, 30)).toBe(120);
    expect(clampWait(42.4, 30)).toBe(42);
  });

  it('snapshots: a fresh snapshot is checked soon, a slow big one rarely', () => {
    expect(snapshotWaitSeconds([{ progress: 0, startTime: ago(2) }], now, 30)).toBe(5);
    // 10% in 200 s: 1800 s to go → capped at 120.
    expect(snapshotWaitSeconds([{ progress: 10, startTime: ago(200) }], now, 30)).toBe(120);
    // 80% in 80 s: 20 s to go → wait that long.
    expect(snapshotWaitSeconds([{ progress: 80, startTime: ago(80) }], now, 30)).toBe(20);
  });

  it('snapshots: the slowest pending snapshot decides', () => {
    const w = snapshotWaitSeconds(
      [
        { progress: 90, startTime: ago(90) },
        { progress: 50, startTime: ago(60) },
      ],
      now,
      30,
    );
    expect(w).toBe(60);
  });

  it('zSATs: from the read rate, and never longer than half the heartbeat timeout', () => {
    const base = { now, pollSeconds: 30, heartbeatTimeoutSeconds: 300, launchedAt: ago(100) };
    // No report yet: the instance is still booting (about one poll interval): half of it.
    expect(zsatWaitSeconds({ ...base, blocksDone: 0, blocksTotal: 1000 })).toBe(15);
    expect(zsatWaitSeconds({ ...base, blocksDone: 500, blocksTotal: 1000 })).toBe(100);
    expect(zsatWaitSeconds({ ...base, blocksDone: 1, blocksTotal: 1000 })).toBe(120);
    expect(zsatWaitSeconds({ ...base, heartbeatTimeoutSeconds: 60, blocksDone: 1, blocksTotal: 1000 })).toBe(30);
  });

  it('zSATs: once the agent has reported, its rate counts from its own start, not the instance launch', () => {
    const base = { now, pollSeconds: 30, heartbeatTimeoutSeconds: 300, launchedAt: ago(100) };
    // Booted for 90 s, then half read in 10 s: 10 s to go, not the 100 s the launch time gives.
    expect(zsatWaitSeconds({ ...base, agentStartedAt: ago(10), blocksDone: 500, blocksTotal: 1000 })).toBe(10);
    expect(zsatWaitSeconds({ ...base, agentStartedAt: ago(40), blocksDone: 500, blocksTotal: 1000 })).toBe(40);
    // Started but nothing read yet: it is checked again soon, rather than after a whole poll interval…
    expect(zsatWaitSeconds({ ...base, agentStartedAt: ago(2), blocksDone: 0, blocksTotal: 1000 })).toBe(5);
    // …unless its first reads have already been slow for a while.
    expect(zsatWaitSeconds({ ...base, agentStartedAt: ago(60), blocksDone: 0, blocksTotal: 1000 })).toBe(60);
  });
});

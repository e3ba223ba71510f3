/**
 * The chaos suite, small (the full one is `npm run chaos`): syncs of a multi-volume VPG under throttling, 5xx,
 * eventual consistency, a step crashing right after its create, two syncs started together under a ListExecutions
 * lag, an execution stopped from outside and a cloud restart, and one test-mode failback under API faults after
 * the first sync; every checkpoint is also restored by hand (docs/store-format.md's script). Nothing may leak past the sweeper
 * and failback-cleanup, no checkpoint may be lost or wrong, nothing foreign touched.
 */
import { runChaos, type ChaosFigures } from './chaos-run';

let figures: ChaosFigures;
const lines: string[] = [];

beforeAll(async () => {
  figures = await runChaos({ runs: 2, seed: 7, log: (l) => lines.push(l) });
}, 420_000);

describe('chaos (small run)', () => {
  it('injected every kind of fault the two runs plan (agent kills: npm run chaos)', () => {
    const f = figures.faultsInjected;
    expect({ throttle: f.throttle > 0, fiveXx: f['5xx'] > 0, consistency: f.consistency > 0 }).toEqual({ throttle: true, fiveXx: true, consistency: true });
    // run 0 crashes a step, run 1 stops an execution after restarting the cloud (the RNG may add more)
    expect({ crash: f['lambda-crash'] >= 1, stop: f['stop-execution'], restart: f.restart >= 1 }).toEqual({ crash: true, stop: 1, restart: true });
  });

  it('failed back once under API faults, the recovered VM holding the checkpoint byte for byte', () => {
    // the first run's failback has only API faults, which every call retries: it must succeed
    expect({ succeeded: figures.failbacksSucceeded, failedCleanly: figures.failbacksFailedCleanly }).toEqual({ succeeded: 1, failedCleanly: 0 });
  });

  it('committed, failed cleanly or (lease taken) skipped every sync; the fault-free sync after them commits', () => {
    expect(figures.syncsCommitted + figures.syncsFailedCleanly + figures.syncsSkipped).toBe(figures.runs);
    // the first run starts two syncs together under a ListExecutions lag: the lease lets at most one commit
    expect(figures.faultsInjected['overlapping-syncs']).toBe(1);
    expect(figures.finalSyncSucceeded).toBe(true);
  });

  it('leaked nothing (resources, working files, packs), lost or corrupted no checkpoint (restored by hand too), touched nothing foreign', () => {
    expect({
      leaked: figures.leakedResources,
      prefixes: figures.leakedWorkingPrefixes,
      orphans: figures.orphanPacks,
      lost: figures.lostOrCorruptCheckpoints,
      foreign: figures.foreignTouched,
      problems: figures.problems,
    }).toEqual({ leaked: 0, prefixes: 0, orphans: 0, lost: 0, foreign: 0, problems: [] });
    expect(lines).toHaveLength(figures.runs + 1);
  });
});

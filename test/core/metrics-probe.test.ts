/** The RPO probe: newest checkpoint from key listings alone, running executions, and metrics even when reads fail. */
import { latestCheckpoint, probeRpo, type CheckpointKeysPort } from '../../runtime/core/monitoring/metrics-probe';
import { parseProbeEnv } from '../../runtime/core/step-env';
import { checkpointIdFor, checkpointKey, checkpointSummaryKey } from '../../runtime/core/store/format';
import type { ExecutionsPort, RunningExecution } from '../../runtime/core/ports';
import { jsonLog } from '../../runtime/handlers/step-log';
import { probeHandler } from '../../runtime/handlers/rpo-probe-handler';

class KeyStore implements CheckpointKeysPort {
  readonly listed: string[] = [];
  constructor(private readonly keys: string[]) {}
  async *listKeys(prefix: string): AsyncGenerator<string> {
    this.listed.push(prefix);
    for (const k of this.keys) if (k.startsWith(prefix)) yield k;
  }
}

const running = (n: number): RunningExecution[] => Array.from({ length: n }, (_, i) => ({ executionArn: `arn:x:${i}`, name: String(i), startDate: '' }));
const now = new Date('2026-11-25T12:00:00Z');
const targets = [
  { vpg: 'web', syncArn: 'arn:sm:web-sync', failbackArn: 'arn:sm:web-failback' },
  { vpg: 'db', syncArn: 'arn:sm:db-sync', failbackArn: 'arn:sm:db-failback' },
];

describe('latestCheckpoint', () => {
  it('takes the newest id under the VPG, ignoring summaries, other VPGs and foreign keys', async () => {
    const older = checkpointIdFor('2026-11-25T11:00:00Z', 'sabc');
    const newer = checkpointIdFor('2026-11-25T11:45:10Z', 'sdef');
    const store = new KeyStore([
      checkpointKey('web', older),
      checkpointSummaryKey('web', older),
      checkpointKey('web', newer),
      checkpointSummaryKey('web', checkpointIdFor('2026-11-25T11:59:00Z', 'szzz')),
      checkpointKey('db', checkpointIdFor('2026-11-25T11:59:30Z', 'sxyz')),
      'vpgs/web/checkpoints/notes.json',
    ]);
    expect(await latestCheckpoint(store, 'web')).toEqual({ id: newer, at: '2026-11-25T11:45:10.000Z' });
    expect(await latestCheckpoint(store, 'none')).toBeNull();
  });
});

describe('probeRpo', () => {
  it('publishes RPO and running executions per VPG; an unreadable figure is left out and reported', async () => {
    const store = new KeyStore([checkpointKey('web', checkpointIdFor('2026-11-25T11:50:00Z', 's1'))]);
    const executions: Pick<ExecutionsPort, 'listRunning'> = {
      listRunning: async (arn) => {
        if (arn === 'arn:sm:web-sync') return running(1);
        if (arn === 'arn:sm:db-failback') throw new Error('StateMachineDoesNotExist');
        return running(0);
      },
    };
    const report = await probeRpo(targets, { siteId: 'site-a', store, executions, now: () => now });
    expect(report.documents).toHaveLength(2);
    expect(report.documents[0]).toMatchObject({ Vpg: 'web', RpoSeconds: 600, RunningSyncs: 1, RunningFailbacks: 0 });
    // db has never committed: no RPO datapoint (the alarm treats the gap as breaching)
    expect(report.documents[1]).toMatchObject({ Vpg: 'db', RunningSyncs: 0 });
    expect(report.documents[1]).not.toHaveProperty('RpoSeconds');
    expect(report.documents[1]).not.toHaveProperty('RunningFailbacks');
    expect(report.problems).toEqual(['db failback executions: StateMachineDoesNotExist']);
  });

  it('the handler logs one EMF line per VPG and a warning per problem', async () => {
    const lines: string[] = [];
    const store: CheckpointKeysPort = {
      // eslint-disable-next-line require-yield
      async *listKeys() {
        throw new Error('AccessDenied');
      },
    };
    const handler = probeHandler(() => ({
      siteId: 'site-a',
      targets,
      store,
      executions: { listRunning: async () => running(0) },
      now: () => now,
      log: jsonLog({ site: 'site-a', step: 'rpo-probe' }, (l) => lines.push(l)),
    }));
    expect(await handler()).toEqual({ vpgs: 2, problems: ['web checkpoints: AccessDenied', 'db checkpoints: AccessDenied'] });
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.filter((l) => l.message === 'metrics').map((l) => [l.vpg, l.Vpg, l.RunningSyncs, '_aws' in l])).toEqual([
      ['web', 'web', 0, true],
      ['db', 'db', 0, true],
    ]);
    expect(parsed.filter((l) => l.level === 'WARN')).toHaveLength(2);
  });
});

describe('parseProbeEnv', () => {
  it("derives each VPG's state machine ARNs by the naming convention and names a bad variable", () => {
    const env = {
      LIFEBOAT_SITE_ID: 's',
      LIFEBOAT_BUCKET: 'b',
      LIFEBOAT_PROBE_VPGS: 'web,db',
      LIFEBOAT_STATE_MACHINE_ARN_PREFIX: 'arn:aws:states:eu-west-1:111122223333:stateMachine:',
    };
    expect(parseProbeEnv(env)).toEqual({
      siteId: 's',
      bucket: 'b',
      bucketRegion: undefined,
      targets: [
        {
          vpg: 'web',
          syncArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s-web-sync',
          failbackArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s-web-failback',
        },
        {
          vpg: 'db',
          syncArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s-db-sync',
          failbackArn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s-db-failback',
        },
      ],
    });
    expect(() => parseProbeEnv({ ...env, LIFEBOAT_STATE_MACHINE_ARN_PREFIX: 'nope' })).toThrow(/LIFEBOAT_STATE_MACHINE_ARN_PREFIX/);
    expect(() => parseProbeEnv({ ...env, LIFEBOAT_BUCKET: '' })).toThrow(/LIFEBOAT_BUCKET: the replica bucket name/);
  });
});

import { CheckpointNotFound, checkpointSpecKind, resolveCheckpoint } from '../../runtime/core/failback/checkpoint-select';

const cps = [
  { id: 'cp-20261120T110000Z-bbbb', createdAt: '2026-11-20T11:00:00.000Z' },
  { id: 'cp-20261120T100000Z-aaaa', createdAt: '2026-11-20T10:00:00.000Z' },
  { id: 'cp-20261120T120000Z-cccc', createdAt: '2026-11-20T12:00:00.000Z' },
];

describe('resolveCheckpoint', () => {
  it('reads latest, ids and ISO times', () => {
    expect(checkpointSpecKind('latest')).toBe('latest');
    expect(checkpointSpecKind('')).toBe('latest');
    expect(checkpointSpecKind('cp-20261120T110000Z-bbbb')).toBe('id');
    expect(checkpointSpecKind('2026-11-20T10:30:00Z')).toBe('time');
    expect(checkpointSpecKind('2026-11-20')).toBe('time');
  });

  it('latest is the newest, whatever the input order', () => {
    expect(resolveCheckpoint(cps, 'latest').id).toBe('cp-20261120T120000Z-cccc');
  });

  it('an id picks exactly that checkpoint', () => {
    expect(resolveCheckpoint(cps, ' cp-20261120T100000Z-aaaa ').id).toBe('cp-20261120T100000Z-aaaa');
  });

  it('a time picks the newest checkpoint at or before it', () => {
    expect(resolveCheckpoint(cps, '2026-11-20T11:00:00Z').id).toBe('cp-20261120T110000Z-bbbb');
    expect(resolveCheckpoint(cps, '2026-11-20T11:59:59Z').id).toBe('cp-20261120T110000Z-bbbb');
    expect(resolveCheckpoint(cps, '2027-01-01T00:00:00Z').id).toBe('cp-20261120T120000Z-cccc');
    // a time with an offset is the same instant
    expect(resolveCheckpoint(cps, '2026-11-20T12:30:00+01:00').id).toBe('cp-20261120T110000Z-bbbb');
  });

  it('a time before the oldest names the oldest', () => {
    expect(() => resolveCheckpoint(cps, '2026-11-20T09:00:00Z')).toThrow(
      'no checkpoint at or before 2026-11-20T09:00:00.000Z; the oldest is cp-20261120T100000Z-aaaa (2026-11-20T10:00:00.000Z)',
    );
  });

  it('an unknown id names the checkpoints nearest the time it encodes', () => {
    expect(() => resolveCheckpoint(cps, 'cp-20261120T113000Z-zzzz')).toThrow(
      'no checkpoint cp-20261120T113000Z-zzzz; nearest before: cp-20261120T110000Z-bbbb (2026-11-20T11:00:00.000Z); nearest after: cp-20261120T120000Z-cccc (2026-11-20T12:00:00.000Z)',
    );
    expect(() => resolveCheckpoint(cps, 'cp-20200101T000000Z-old')).toThrow(/; nearest after: cp-20261120T100000Z-aaaa/);
  });

  it('an id with no time in it names the newest ones', () => {
    let err: unknown;
    try {
      resolveCheckpoint(cps, 'yesterday');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointNotFound);
    expect((err as Error).name).toBe('CheckpointNotFound');
    expect((err as Error).message).toBe(
      'no checkpoint yesterday; the newest are: cp-20261120T120000Z-cccc (2026-11-20T12:00:00.000Z), cp-20261120T110000Z-bbbb (2026-11-20T11:00:00.000Z), cp-20261120T100000Z-aaaa (2026-11-20T10:00:00.000Z)',
    );
  });

  it('no checkpoints at all says so', () => {
    expect(() => resolveCheckpoint([], 'latest')).toThrow(/no committed checkpoints yet/);
  });
});

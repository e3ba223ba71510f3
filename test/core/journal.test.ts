import { brokenChains, failbackArnFor, journalCutoff, journalMarkerKey, needsCompaction } from '../../runtime/core/store/journal';

describe('journal (pure parts)', () => {
  it('the cut-off is now minus the retention', () => {
    expect(journalCutoff(new Date('2026-11-25T12:00:00Z'), 24)).toBe('2026-11-24T12:00:00.000Z');
    expect(journalCutoff(new Date('2026-11-25T12:00:00Z'), 0.5)).toBe('2026-11-25T11:30:00.000Z');
    expect(() => journalCutoff(new Date(), 0)).toThrow(/positive/);
  });

  it('derives the failback state machine of the VPG from the sync one, by name', () => {
    expect(failbackArnFor('arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s1-web-sync', 's1', 'web')).toBe(
      'arn:aws:states:eu-west-1:111122223333:stateMachine:lifeboat-s1-web-failback',
    );
    expect(failbackArnFor('arn:aws-cn:states:cn-north-1:1:stateMachine:x', 's1', 'db')).toBe(
      'arn:aws-cn:states:cn-north-1:1:stateMachine:lifeboat-s1-db-failback',
    );
    expect(() => failbackArnFor('arn:aws:states:eu-west-1:1:execution:x:y', 's1', 'web')).toThrow(/not a state machine ARN/);
  });

  it('needs compaction when a checkpoint other than the newest is past the cut-off, or the oldest is a delta', () => {
    const cut = '2026-11-25T10:00:00.000Z';
    const at = (t: string, parentId: string | null = 'p') => ({ createdAt: t, parentId });
    expect(needsCompaction([], cut)).toBe(false);
    expect(needsCompaction([at('2026-11-25T09:00:00Z', null)], cut)).toBe(false); // the newest stays
    expect(needsCompaction([at('2026-11-25T09:00:00Z', null), at('2026-11-25T11:00:00Z')], cut)).toBe(true);
    expect(needsCompaction([at('2026-11-25T10:00:00Z', null), at('2026-11-25T11:00:00Z')], cut)).toBe(false);
    expect(needsCompaction([at('2026-11-25T10:30:00Z', 'gone'), at('2026-11-25T11:00:00Z')], cut)).toBe(true);
  });

  it('names kept deltas whose parent would be gone', () => {
    expect(
      brokenChains([
        { id: 'b', parentId: null, full: true },
        { id: 'c', parentId: 'b', full: false },
      ]),
    ).toEqual([]);
    expect(
      brokenChains([
        { id: 'b', parentId: null, full: true },
        { id: 'c', parentId: 'a', full: false },
      ]),
    ).toEqual(['checkpoint c would lose its parent a']);
  });

  it('keeps its marker under the VPG prefix', () => {
    expect(journalMarkerKey('web')).toBe('vpgs/web/journal/compaction.json');
  });
});

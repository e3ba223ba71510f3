/** Listings sorted into what Lifeboat reads and the strays it skips, with plain data. */
import { brokenChainProblems, sortCheckpointListing, sortPackListing } from '../../runtime/core/store/problems';

const P = (n: number) => n.toString(16).padStart(64, 'f');
const T = '2026-11-25T01:00:00.000Z';
const CP1 = 'cp-20261125T010000Z-aaaa0001';
const CP2 = 'cp-20261125T020000Z-aaaa0002';

describe('pack listings', () => {
  it('pairs each .pack with its index by id, with size and time; anything else under packs/ is a stray', () => {
    const { packs, strays } = sortPackListing('web', [
      { key: `vpgs/web/packs/${P(2)}.idx.json`, size: 80, lastModified: T },
      { key: `vpgs/web/packs/${P(2)}.pack`, size: 1024, lastModified: T },
      { key: `vpgs/web/packs/${P(1)}.idx.json`, size: 80, lastModified: T },
      { key: `vpgs/web/packs/${P(3)}.pack`, size: 512, lastModified: T },
      { key: 'vpgs/web/packs/x.idx.json', size: 2, lastModified: T },
      { key: `vpgs/web/packs/${P(4)}.pack.bak`, size: 2, lastModified: T },
      { key: `vpgs/web/packs/old/${P(5)}.pack`, size: 2, lastModified: T },
    ]);
    expect(packs).toEqual([
      { packId: P(1), size: null, lastModified: null, hasIndex: true },
      { packId: P(2), size: 1024, lastModified: T, hasIndex: true },
      { packId: P(3), size: 512, lastModified: T, hasIndex: false },
    ]);
    expect(strays.map((s) => [s.kind, s.key])).toEqual([
      ['stray-object', 'vpgs/web/packs/x.idx.json'],
      ['stray-object', `vpgs/web/packs/${P(4)}.pack.bak`],
      ['stray-object', `vpgs/web/packs/old/${P(5)}.pack`],
    ]);
    expect(strays[0].reason).toContain('ignored');
  });
});

describe('checkpoint listings', () => {
  it("lists Lifeboat's manifests and summaries; a person's copy or notes are strays", () => {
    const out = sortCheckpointListing('web', [
      `vpgs/web/checkpoints/${CP1}.json`,
      `vpgs/web/checkpoints/${CP1}.summary.json`,
      `vpgs/web/checkpoints/${CP2}.summary.json`,
      'vpgs/web/checkpoints/cp-copy (1).json',
      'vpgs/web/checkpoints/notes.txt',
      `vpgs/web/checkpoints/${CP1} (1).json`,
    ]);
    expect(out.ids).toEqual([CP1]);
    expect([...out.summaries]).toEqual([CP1, CP2]);
    expect(out.strays.map((s) => s.key)).toEqual([
      'vpgs/web/checkpoints/cp-copy (1).json',
      'vpgs/web/checkpoints/notes.txt',
      `vpgs/web/checkpoints/${CP1} (1).json`,
    ]);
  });

  it('a checkpoint whose parent is not listed is a broken chain', () => {
    expect(
      brokenChainProblems('web', [
        { id: CP1, parentId: null },
        { id: CP2, parentId: 'cp-20261125T000000Z-gone' },
      ]),
    ).toEqual([
      {
        kind: 'broken-chain',
        key: `vpgs/web/checkpoints/${CP2}.json`,
        reason: `checkpoint ${CP2} of VPG web needs parent cp-20261125T000000Z-gone, which is not in the store: it and the checkpoints built on it cannot be restored`,
      },
    ]);
    expect(
      brokenChainProblems('web', [
        { id: CP1, parentId: null },
        { id: CP2, parentId: CP1 },
      ]),
    ).toEqual([]);
  });
});

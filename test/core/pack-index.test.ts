import { buildHashLocations, decodePackIndex, encodePackIndex, planRangeReads, type PackIndex } from '../../runtime/core/store/pack-index';

const H = (n: number) => n.toString(16).padStart(64, '0');
const P = (n: number) => n.toString(16).padStart(64, 'f');
const B = 512 * 1024;

describe('pack index', () => {
  it('round-trips and validates entries', () => {
    const blocks = [
      { hash: H(1), offset: 0, length: B },
      { hash: H(2), offset: B, length: B },
    ];
    const text = encodePackIndex(blocks);
    expect(JSON.parse(text)).toEqual({ format: 1, blocks });
    expect(decodePackIndex(text, 2 * B).blocks).toEqual(blocks);
    expect(() => decodePackIndex(text, B)).toThrow(/entry 1 is invalid/);
    expect(() => decodePackIndex('{"format":2,"blocks":[]}')).toThrow(/format:1/);
    expect(() => decodePackIndex('{"format":1,"blocks":[{"hash":"xyz","offset":0,"length":1}]}')).toThrow(/entry 0/);
    expect(() => decodePackIndex('nope')).toThrow(/not JSON/);
  });

  it('picks the copy in the first pack (by id) as canonical for duplicates', () => {
    const packs = new Map<string, PackIndex>([
      [P(2), { format: 1, blocks: [{ hash: H(1), offset: B, length: B }] }],
      [
        P(1),
        {
          format: 1,
          blocks: [
            { hash: H(9), offset: 0, length: B },
            { hash: H(1), offset: B, length: B },
          ],
        },
      ],
    ]);
    const loc = buildHashLocations('web', packs);
    expect(loc.get(H(1))).toEqual({ packId: P(1), packKey: `vpgs/web/packs/${P(1)}.pack`, offset: B, length: B });
    expect(loc.size).toBe(2);
  });

  it('groups wanted blocks into ranged reads per pack, merging neighbours up to the limit', () => {
    const packs = new Map<string, PackIndex>([
      [P(1), { format: 1, blocks: [0, 1, 2, 3, 5].map((i) => ({ hash: H(10 + i), offset: i * B, length: B })) }],
      [P(2), { format: 1, blocks: [{ hash: H(50), offset: 0, length: B }] }],
    ]);
    const loc = buildHashLocations('web', packs);
    const { reads, missing } = planRangeReads([H(13), H(10), H(11), H(15), H(50), H(12), H(99), H(10)], loc, 2 * B);
    expect(missing).toEqual([H(99)]);
    expect(reads.map((r) => [r.packKey.slice(-8), r.offset / B, r.length / B, r.blocks.map((b) => [b.hash, b.offsetInRange / B])])).toEqual([
      [
        P(1).slice(-3) + '.pack',
        0,
        2,
        [
          [H(10), 0],
          [H(11), 1],
        ],
      ],
      [
        P(1).slice(-3) + '.pack',
        2,
        2,
        [
          [H(12), 0],
          [H(13), 1],
        ],
      ],
      [P(1).slice(-3) + '.pack', 5, 1, [[H(15), 0]]],
      [P(2).slice(-3) + '.pack', 0, 1, [[H(50), 0]]],
    ]);
  });
});

import { SharedBufferPool } from '../../lambda/agent/shared-buffers';

describe('SharedBufferPool', () => {
  it('hands a given-back buffer to the next taker of that size, and a new one otherwise', () => {
    const pool = new SharedBufferPool(1024);
    const a = pool.take(256);
    pool.give(a);
    expect(pool.bytesKept).toBe(256);
    expect(pool.take(128)).not.toBe(a); // another size: a new buffer
    expect(pool.take(256)).toBe(a);
    expect(pool.bytesKept).toBe(0);
    expect(pool.take(256)).not.toBe(a); // taken already: a new one
  });

  it('keeps at most its bound; what is over it is left to the garbage collector', () => {
    const pool = new SharedBufferPool(512);
    const [a, b, c] = [pool.take(256), pool.take(256), pool.take(256)];
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.bytesKept).toBe(512);
    const again = new Set([pool.take(256), pool.take(256), pool.take(256)]);
    expect(again.has(a) && again.has(b)).toBe(true);
    expect(again.has(c)).toBe(false);
  });
});

import { entrantHash, runDraw } from '@ticketslave/common';
import { drawNumbers } from './buffer';

describe('drawNumbers', () => {
  const seed = '11'.repeat(32);
  const salt = '22'.repeat(32);
  const entrants = Array.from({ length: 50 }, (_, i) => ({
    userId: `u${i}`,
    entrantHash: entrantHash(salt, `u${i}`),
  }));

  it('gives each fan the number draw-v1 gives their entrant hash', () => {
    const { order, entrantsDigest } = drawNumbers({ seed, beacon: 'ab'.repeat(32) }, entrants);
    const reference = runDraw({
      seed,
      beacon: 'ab'.repeat(32),
      entrantHashes: entrants.map((e) => e.entrantHash),
    });
    expect(entrantsDigest).toBe(reference.entrantsDigest);
    reference.order.forEach((hash, i) => {
      const user = entrants.find((e) => e.entrantHash === hash)!.userId;
      expect(order[i]).toBe(user);
    });
  });

  it('does not depend on the order entrants are read in, only on seed, entrants and beacon', () => {
    const a = drawNumbers({ seed, beacon: '' }, entrants);
    const b = drawNumbers({ seed, beacon: '' }, [...entrants].reverse());
    const sorted = [...entrants].sort((x, y) => (x.entrantHash < y.entrantHash ? -1 : 1));
    const c = drawNumbers({ seed, beacon: '' }, sorted);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const d = drawNumbers({ seed, beacon: 'cd'.repeat(32) }, entrants);
    expect(d.order).not.toEqual(a.order);
    expect([...d.order].sort()).toEqual([...a.order].sort());
  });

  it('refuses two entrants with one hash rather than dropping one', () => {
    const twin = { userId: 'twin', entrantHash: entrants[3]!.entrantHash };
    expect(() => drawNumbers({ seed, beacon: '' }, [...entrants, twin])).toThrow(/share the hash/);
  });
});

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
    const { numbers, entrantsDigest } = drawNumbers({ seed, beacon: 'ab'.repeat(32) }, entrants);
    const reference = runDraw({
      seed,
      beacon: 'ab'.repeat(32),
      entrantHashes: entrants.map((e) => e.entrantHash),
    });
    expect(entrantsDigest).toBe(reference.entrantsDigest);
    reference.order.forEach((hash, i) => {
      const user = entrants.find((e) => e.entrantHash === hash)!.userId;
      expect(numbers.get(user)).toBe(i + 1);
    });
  });

  it('does not depend on the order entrants are read in, only on seed, entrants and beacon', () => {
    const a = drawNumbers({ seed, beacon: '' }, entrants);
    const b = drawNumbers({ seed, beacon: '' }, [...entrants].reverse());
    expect([...b.numbers].sort()).toEqual([...a.numbers].sort());
    const c = drawNumbers({ seed, beacon: 'cd'.repeat(32) }, entrants);
    expect([...c.numbers].sort()).not.toEqual([...a.numbers].sort());
  });
});

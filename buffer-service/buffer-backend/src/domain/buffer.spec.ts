import { entrantHash, runDraw } from '@ticketslave/draw';
import { drawNumbers } from './buffer';

describe('drawNumbers', () => {
  const seed = '11'.repeat(32);
  const salt = '22'.repeat(32);
  const entrants = Array.from({ length: 50 }, (_, i) => ({
    userId: `u${i}`,
    entrantHash: entrantHash(salt, `u${i}`),
  }));

  it.each(['draw-v2', 'draw-v1'] as const)(
    'gives each fan the number %s of @ticketslave/draw gives their entrant hash',
    async (version) => {
      const beacon = 'ab'.repeat(32);
      const { order, entrantsDigest } = await drawNumbers({ seed, beacon, drawVersion: version }, entrants);
      const reference = await runDraw({
        version,
        seed,
        beacon,
        entrantHashes: entrants.map((e) => e.entrantHash),
      });
      expect(entrantsDigest).toBe(reference.entrantsDigest);
      expect(order).toEqual(
        reference.order.map((hash) => entrants.find((e) => e.entrantHash === hash)!.userId),
      );
    },
  );

  it('does not depend on the order entrants are read in, only on seed, entrants and beacon', async () => {
    const ev = { seed, beacon: 'ab'.repeat(32), drawVersion: 'draw-v2' as const };
    const a = await drawNumbers(ev, entrants);
    const b = await drawNumbers(ev, [...entrants].reverse());
    const sorted = [...entrants].sort((x, y) => (x.entrantHash < y.entrantHash ? -1 : 1));
    const c = await drawNumbers(ev, sorted);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const d = await drawNumbers({ ...ev, beacon: 'cd'.repeat(32) }, entrants);
    expect(d.order).not.toEqual(a.order);
    expect([...d.order].sort()).toEqual([...a.order].sort());
  });

  it('refuses two entrants with one hash rather than dropping one', async () => {
    const twin = { userId: 'twin', entrantHash: entrants[3]!.entrantHash };
    await expect(
      drawNumbers({ seed, beacon: 'ab'.repeat(32), drawVersion: 'draw-v2' }, [...entrants, twin]),
    ).rejects.toThrow(/share the hash/);
  });
});

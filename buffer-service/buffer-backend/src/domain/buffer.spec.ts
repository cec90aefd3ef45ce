import { entrantHash, entrantListBytes, runDraw } from '@ticketslave/draw';
import { drawNumbers } from './buffer';

describe('drawNumbers', () => {
  const seed = '11'.repeat(32);
  const salt = '22'.repeat(32);
  const users = Array.from({ length: 50 }, (_, i) => `u${i}`);
  const hashOf = new Map(users.map((u) => [u, entrantHash(salt, u)]));
  const sorted = [...hashOf.values()].sort();
  const entrants = (hashes: string[]) => ({ count: hashes.length, list: entrantListBytes(hashes) });

  it.each(['draw-v2', 'draw-v1'] as const)(
    'when drawn %s, then entrant k of the order has the number @ticketslave/draw gives its hash',
    async (version) => {
      const beacon = 'ab'.repeat(32);
      const { order, entrantsDigest } = await drawNumbers(
        { seed, beacon, drawVersion: version },
        entrants(sorted),
      );
      const reference = await runDraw({ version, seed, beacon, entrantHashes: [...hashOf.values()] });
      expect(entrantsDigest).toBe(reference.entrantsDigest);
      expect(Array.from(order, (i) => sorted[i])).toEqual(reference.order);
    },
  );

  it('when the beacon differs, then the numbers differ but every entrant keeps one', async () => {
    const ev = { seed, beacon: 'ab'.repeat(32), drawVersion: 'draw-v2' as const };
    const a = await drawNumbers(ev, entrants(sorted));
    const d = await drawNumbers({ ...ev, beacon: 'cd'.repeat(32) }, entrants(sorted));
    expect(d.order).not.toEqual(a.order);
    expect([...d.order].sort((x, y) => x - y)).toEqual([...a.order].sort((x, y) => x - y));
  });

  it('when two entrants share one hash, then it refuses rather than drop one', async () => {
    const twins = [...sorted.slice(0, 4), sorted[3]!, ...sorted.slice(4)];
    await expect(
      drawNumbers({ seed, beacon: 'ab'.repeat(32), drawVersion: 'draw-v2' }, entrants(twins)),
    ).rejects.toThrow(/share the hash/);
  });

  it('when the entrants are not in ascending order, then it refuses rather than draw another list', async () => {
    await expect(
      drawNumbers({ seed, beacon: 'ab'.repeat(32), drawVersion: 'draw-v2' }, entrants([...sorted].reverse())),
    ).rejects.toThrow(/ascending/);
  });
});

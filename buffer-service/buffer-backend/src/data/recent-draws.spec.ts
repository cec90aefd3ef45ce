import { RecentDraws, type RecentDraw } from './recent-draws';

/** A held draw of `count` on-time entrants and no late ones. */
const draw = (count: number): RecentDraw => ({
  entrants: { count, list: Buffer.alloc(0) },
  users: { bytes: Buffer.alloc(0), ends: new Uint32Array(count) },
  order: new Uint32Array(count),
  late: [],
});

describe('RecentDraws.publishing', () => {
  it('is false for an event whose draw is not held here', () => {
    expect(new RecentDraws().publishing('e1')).toBe(false);
  });

  it('is true until every number of the held draw is published, not a part of them', () => {
    const recent = new RecentDraws();
    recent.add('e1', draw(10));
    expect(recent.publishing('e1')).toBe(true);
    recent.published('e1', 5);
    expect(recent.publishing('e1')).toBe(true);
    recent.published('e1', 10);
    expect(recent.publishing('e1')).toBe(false);
  });

  it('stops counting after its bound (another instance may publish them)', async () => {
    const recent = new RecentDraws();
    recent.add('e1', draw(10));
    await new Promise((r) => setTimeout(r, 30));
    expect(recent.publishing('e1', 20)).toBe(false);
  });
});

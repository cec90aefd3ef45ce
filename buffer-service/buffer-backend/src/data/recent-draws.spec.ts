import { RecentDraws, type RecentDraw } from './recent-draws';

/** A held draw of `count` on-time entrants and no late ones. */
const draw = (count: number): RecentDraw => ({
  entrants: { count, list: Buffer.alloc(0) },
  users: { bytes: Buffer.alloc(0), ends: new Uint32Array(count) },
  order: new Uint32Array(count),
  late: [],
});

describe('RecentDraws.whenPublished', () => {
  it('resolves at once for an event whose draw is not held here', async () => {
    await expect(new RecentDraws().whenPublished('e1')).resolves.toBeUndefined();
  });

  it('waits until every number of the held draw is published, not a part of them', async () => {
    const recent = new RecentDraws();
    recent.add('e1', draw(10));
    let done = false;
    const waiting = recent.whenPublished('e1').then(() => (done = true));
    recent.published('e1', 5);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    recent.published('e1', 10);
    await waiting;
    expect(done).toBe(true);
    // Published already: a later caller does not wait.
    await expect(recent.whenPublished('e1')).resolves.toBeUndefined();
  });

  it('gives up waiting after its bound (a publisher that cannot reach Kafka)', async () => {
    const recent = new RecentDraws();
    recent.add('e1', draw(10));
    const started = Date.now();
    await recent.whenPublished('e1', 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});

import { createTestDatabase, sleep, type TestDatabase } from '@ticketslave/dev/test-support';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, RateLimitStore, type RateRule } from '../src';

/** Two stores on two pools stand for two instances of one service. */
describe('RateLimitStore (shared rate limits in PostgreSQL)', () => {
  let db: TestDatabase;
  let a: DataSource;
  let b: DataSource;
  let one: RateLimitStore;
  let two: RateLimitStore;
  let n = 0;
  const rule = (capacity: number, refillPerSecond: number): RateRule => ({
    name: `r${n++}`,
    capacity,
    refillPerSecond,
  });

  beforeAll(async () => {
    db = await createTestDatabase('ratelimit');
    a = createDataSource({ url: db.url, schema: 'svc' });
    b = createDataSource({ url: db.url, schema: 'svc' });
    await migrate(a, 'svc', { sqlFunctions: [] });
    await migrate(b, 'svc', { sqlFunctions: [] });
    one = new RateLimitStore(a);
    two = new RateLimitStore(b);
  });
  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
    await db?.drop();
  });

  it('grants the capacity, then refuses with the seconds to wait', async () => {
    const r = rule(3, 0.1);
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await one.take(r, 'k'));
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    // One token every 10 s: the fourth waits up to 10 s, and a refused take costs nothing.
    expect(waits[3]).toBeGreaterThan(0);
    expect(waits[3]).toBeLessThanOrEqual(10);
    expect(waits[4]).toBeGreaterThan(0);
    expect(waits[4]).toBeLessThanOrEqual(waits[3]!); // had the refused take cost a token: ~20 s
    expect(await one.take(r, 'other key')).toBe(0);
  });

  it('when instances take from one bucket at once, grants exactly the capacity between them', async () => {
    const r = rule(25, 0.01);
    const results = await Promise.all(
      Array.from({ length: 80 }, (_, i) => (i % 2 ? one : two).take(r, '203.0.113.7')),
    );
    expect(results.filter((w) => w === 0)).toHaveLength(25);
    expect(results.filter((w) => w > 0)).toHaveLength(55);
  });

  it('refills at the configured rate', async () => {
    const r = rule(2, 10);
    expect([await one.take(r, 'k'), await two.take(r, 'k')]).toEqual([0, 0]);
    expect(await one.take(r, 'k')).toBeGreaterThan(0);
    await sleep(300); // 10 tokens a second: full again
    expect([await two.take(r, 'k'), await one.take(r, 'k')]).toEqual([0, 0]);
  });

  it('wait() reports what take() would, without taking', async () => {
    const r = rule(2, 0.05);
    expect(await one.wait([{ rule: r, key: 'k' }])).toBe(0);
    expect(await one.wait([{ rule: r, key: 'k' }])).toBe(0);
    await one.take(r, 'k');
    await two.take(r, 'k');
    const wait = await two.wait([{ rule: r, key: 'k' }]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(20);
    // Any empty bucket of the list makes the answer wait.
    expect(
      await one.wait([
        { rule: rule(1, 1), key: 'k' },
        { rule: r, key: 'k' },
      ]),
    ).toBe(wait);
  });
});

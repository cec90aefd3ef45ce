import { createTestDatabase, sleep, type TestDatabase } from '@ticketslave/dev/test-support';
import { Client } from 'pg';
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

  it("when a take's transaction began before another instance's take, then it counts from when it holds the bucket's lock: the last token is granted", async () => {
    // Two tokens, one a second. This transaction begins first (its now() is fixed here) ...
    const r = rule(2, 1);
    const early = new Client({ connectionString: db.url, options: '-c search_path=svc,public' });
    await early.connect();
    try {
      await early.query('BEGIN');
      await sleep(400);
      // ... another instance takes one token 0.4 s later, leaving one ...
      expect(await one.take(r, 'k')).toBe(0);
      await sleep(100);
      // ... and the early transaction takes the last. Counted from its BEGIN, the other's
      // take would look 0.5 s further ahead than it is, and this one was refused.
      const { rows } = await early.query<{ waits: number[] }>(
        `SELECT kit_rate_limit_take($1::text[], $2::float8[], $3::float8[], $4::int[], $5::int[], $6::int[]) AS waits`,
        [[`${r.name}:k`], [1], [2], [1], [1], [1]],
      );
      await early.query('COMMIT');
      expect(rows[0]!.waits[0]).toBeLessThanOrEqual(1e-9);
    } finally {
      await early.end();
    }
    // Both tokens are gone.
    expect(await two.take(r, 'k')).toBeGreaterThan(0);
  });

  it('refills at the configured rate', async () => {
    // A token every 2 s: slow enough that a loaded machine's pauses between the takes below
    // refill nothing (at 10 a second a 100-ms pause did, and the third take was granted).
    const r = rule(2, 0.5);
    expect([await one.take(r, 'k'), await two.take(r, 'k')]).toEqual([0, 0]);
    const wait = await one.take(r, 'k');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2);
    await sleep(4_100); // two tokens' worth: full again
    expect([await two.take(r, 'k'), await one.take(r, 'k')]).toEqual([0, 0]);
    expect(await two.take(r, 'k')).toBeGreaterThan(0);
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

  it('when takeAll finds one of its buckets empty, then it refuses with the longest wait and takes from none', async () => {
    const roomy = rule(5, 0.1);
    const tight = rule(1, 0.05);
    expect(await one.take(tight, 'fan')).toBe(0); // the tight bucket is now empty: 20 s
    const wait = await two.takeAll([
      { rule: roomy, key: 'ip' },
      { rule: tight, key: 'fan' },
    ]);
    expect(wait).toBeGreaterThan(10);
    expect(wait).toBeLessThanOrEqual(20);
    // The roomy bucket lost nothing to the refused request: all five of its tokens are there.
    const roomyTakes = [];
    for (let i = 0; i < 6; i++) roomyTakes.push(await one.take(roomy, 'ip'));
    expect(roomyTakes).toEqual([0, 0, 0, 0, 0, expect.any(Number)]);
    expect(roomyTakes[5]).toBeGreaterThan(0);
  });

  it('when takeAll finds every bucket with a token, then it takes one from each', async () => {
    const a1 = rule(2, 0.01);
    const b1 = rule(3, 0.01);
    expect(
      await one.takeAll([
        { rule: a1, key: 'k' },
        { rule: b1, key: 'k' },
      ]),
    ).toBe(0);
    expect(await two.take(a1, 'k')).toBe(0);
    expect(await two.take(a1, 'k')).toBeGreaterThan(0); // 2 - 1 - 1
    expect(await one.take(b1, 'k')).toBe(0);
    expect(await one.take(b1, 'k')).toBe(0);
    expect(await one.take(b1, 'k')).toBeGreaterThan(0); // 3 - 1 - 2
  });

  it('when instances takeAll from shared buckets at once, then no bucket grants past its capacity and every grant took from both', async () => {
    const perIp = rule(30, 0.01);
    const perFan = rule(2, 0.01);
    // 60 requests from one address by 10 fans: each fan gets 2, but the address only 15 of them.
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? one : two).takeAll([
          { rule: perIp, key: 'ip' },
          { rule: perFan, key: `fan${i % 10}` },
        ]),
      ),
    );
    expect(results.filter((w) => w === 0)).toHaveLength(20);
    // The address had 30: 20 went to the granted requests, the 40 refused took none.
    const left = [];
    for (let i = 0; i < 11; i++) left.push(await one.take(perIp, 'ip'));
    expect(left.filter((w) => w === 0)).toHaveLength(10);
  });
});

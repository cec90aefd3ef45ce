import client from 'prom-client';
import { Pool } from 'pg';
import { createTestDatabase, sleep, type TestDatabase } from '@ticketslave/dev/test-support';
import { instrumentPool } from '../src/service/pool-metrics';

describe("the database pool's figures", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('poolmetrics');
  });
  afterAll(() => db?.drop());

  it('times each checkout, the one queued behind a full pool included, and counts connections by state', async () => {
    const pool = new Pool({ connectionString: db.url, max: 1 });
    const registry = new client.Registry();
    instrumentPool(pool, registry);
    const value = async (name: string, labels = '') =>
      Number(
        new RegExp(`^${name}${labels ? `\\{${labels}\\}` : ''} ([\\d.e+-]+)$`, 'm').exec(
          await registry.metrics(),
        )?.[1],
      );
    try {
      const first = await pool.connect();
      // TypeORM's way: a callback. It waits, the only connection being out.
      const second = new Promise<number>((resolve, reject) => {
        const asked = performance.now();
        pool.connect((err, c, done) => {
          if (err || !c) return reject(err ?? new Error('no client'));
          done();
          resolve(performance.now() - asked);
        });
      });
      await sleep(150);
      expect(await value('ts_db_pool_connections', 'state="waiting"')).toBe(1);
      expect(await value('ts_db_pool_connections', 'state="busy"')).toBe(1);
      first.release();
      expect(await second).toBeGreaterThanOrEqual(140);
      expect(await value('ts_db_pool_wait_seconds_count')).toBe(2);
      // One of the two waited at least 0.1 s, the other not at all.
      expect(await value('ts_db_pool_wait_seconds_bucket', 'le="0.1"')).toBe(1);
      expect(await value('ts_db_pool_connections', 'state="idle"')).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

import { createTestDatabase, type TestDatabase } from '@ticketslave/dev/test-support';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { createDataSource, migrate, queryRows, type SqlSource } from '../src';

/**
 * A service's SQL functions are its `src/data/sql` files, applied at every start under
 * the migration lock: what the files say is what the schema has, whatever was there.
 */
describe('SQL functions applied at start (migrate with sqlFunctions)', () => {
  let db: TestDatabase;
  const open: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlfns');
  });
  afterAll(async () => {
    await Promise.all(open.map((ds) => ds.destroy()));
    await db.drop();
  });

  /** One start of a service on `schema`: its migrations, then its functions. */
  const start = async (
    schema: string,
    sqlFunctions: SqlSource[],
    migrations: (new () => MigrationInterface)[] = [],
  ) => {
    const ds = createDataSource({ url: db.url, schema, migrations });
    open.push(ds);
    await migrate(ds, schema, { sqlFunctions });
    return ds;
  };
  const fn = (file: string, sql: string): SqlSource => ({ file, sql });
  /** The service's functions (the kit's own, `kit_…`, are in every schema). */
  const functionsOf = async (ds: DataSource, schema: string) =>
    (
      await queryRows<{ f: string }>(
        ds,
        `SELECT p.oid::regprocedure::text AS f FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.proname NOT LIKE 'kit\\_%' ORDER BY 1`,
        [schema],
      )
    ).map((r) => r.f);

  it('when a file changes a function’s return type and arguments, then the next start has only the new one', async () => {
    await start('svc_change', [
      fn('a.sql', `CREATE OR REPLACE FUNCTION answer(p int) RETURNS int LANGUAGE sql AS $$ SELECT p + 1 $$`),
    ]);
    const ds = await start('svc_change', [
      fn(
        'a.sql',
        `CREATE OR REPLACE FUNCTION answer(p text) RETURNS text LANGUAGE sql AS $$ SELECT p || '!' $$`,
      ),
    ]);
    expect(await functionsOf(ds, 'svc_change')).toEqual(['answer(text)']);
    expect(await queryRows(ds, `SELECT answer('hi') AS a`)).toEqual([{ a: 'hi!' }]);
  });

  it('when a function is no longer in the files, or was made by anything else, then start drops it', async () => {
    const first = await start('svc_gone', [
      fn('a.sql', `CREATE OR REPLACE FUNCTION kept() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`),
      fn('b.sql', `CREATE OR REPLACE FUNCTION obsolete() RETURNS int LANGUAGE sql AS $$ SELECT 2 $$`),
    ]);
    await first.query(`CREATE FUNCTION svc_gone.by_hand() RETURNS int LANGUAGE sql AS $$ SELECT 3 $$`);
    const ds = await start('svc_gone', [
      fn('a.sql', `CREATE OR REPLACE FUNCTION kept() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`),
    ]);
    expect(await functionsOf(ds, 'svc_gone')).toEqual(['kept()']);
  });

  /** A migration that makes a generated column from a function of the files. */
  class PricedItems1700000000001 implements MigrationInterface {
    name = 'PricedItems1700000000001';
    async up(q: QueryRunner): Promise<void> {
      await q.query(`CREATE TABLE items (
        prices jsonb NOT NULL,
        lowest int GENERATED ALWAYS AS (lowest_price(prices)) STORED)`);
    }
    async down(): Promise<void> {}
  }
  const lowest = (agg: 'min' | 'max') =>
    fn(
      'prices.sql',
      `CREATE OR REPLACE FUNCTION lowest_price(p jsonb) RETURNS int LANGUAGE sql IMMUTABLE
       AS $$ SELECT ${agg}(x::int) FROM jsonb_array_elements_text(p) x $$`,
    );

  it('when a pending migration uses a function of the files, then the function is there before it runs', async () => {
    const ds = await start('svc_gen', [lowest('min')], [PricedItems1700000000001]);
    await ds.query(`INSERT INTO items (prices) VALUES ('[30, 10, 20]')`);
    expect(await queryRows(ds, `SELECT lowest FROM items`)).toEqual([{ lowest: 10 }]);
  });

  it('when a table depends on a function, then start replaces it in place instead of dropping it', async () => {
    const ds = await start('svc_gen', [lowest('max')], [PricedItems1700000000001]);
    await ds.query(`INSERT INTO items (prices) VALUES ('[30, 10, 20]')`);
    // The column survived; new rows use the new body (stored values are not recomputed).
    expect(await queryRows(ds, `SELECT lowest FROM items ORDER BY lowest`)).toEqual([
      { lowest: 10 },
      { lowest: 30 },
    ]);
  });

  it('when a function a table depends on is gone from the files, then start fails naming it and changes nothing', async () => {
    await expect(
      start(
        'svc_gen',
        [fn('other.sql', `CREATE OR REPLACE FUNCTION other() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`)],
        [PricedItems1700000000001],
      ),
    ).rejects.toThrow(/lowest_price\(jsonb\)/);
    const ds = open.at(-1)!;
    expect(await functionsOf(ds, 'svc_gen')).toEqual(['lowest_price(jsonb)']);
  });

  it('when a body names a column the tables do not have, then start fails naming the file', async () => {
    await expect(
      start(
        'svc_bad',
        [
          lowest('min'),
          fn(
            'broken.sql',
            `CREATE OR REPLACE FUNCTION broken() RETURNS int LANGUAGE sql AS $$ SELECT no_such_column FROM items $$`,
          ),
        ],
        [PricedItems1700000000001],
      ),
    ).rejects.toThrow(/broken\.sql: .*no_such_column/);
  });
});

import { createTestDatabase, type TestDatabase } from '@ticketslave/dev/test-support';
import type { DataSource } from 'typeorm';
import { createDataSource, pgPool, pgTransaction, pgTransactionInTwo, queryRows, sqlLiteral } from '../src';

/**
 * `sqlLiteral` writes values into statements sent without parameters (a hold batch's two-trip
 * transaction carries fans' names and e-mails that way): whatever a value holds, PostgreSQL
 * must read back exactly that value, and nothing of it as SQL.
 */
describe('transactions on pooled pg connections, and sqlLiteral (values written into SQL text)', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('sqllit');
    ds = createDataSource({ url: db.url, schema: 'public' });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const hostile = [
    "O'Brien",
    "'); DROP TABLE probe; --",
    "back\\slash \\' and \\\\ two",
    'quote " and {braces}, commas',
    'ümlaut · 東京 · 🎫',
    'line\nbreak\ttab',
    '',
    'NULL',
    '$1 $$ dollar $$',
  ];

  it('reads every hostile string back unchanged, as text, inside an array and inside JSON', async () => {
    await ds.query('CREATE TABLE IF NOT EXISTS probe (x int)');
    for (const s of hostile) {
      const [row] = await queryRows<{ t: string; a: string[]; j: { s: string } }>(
        ds,
        `SELECT ${sqlLiteral(s)}::text AS t, ${sqlLiteral([s, null, s])}::text[] AS a,
                ${sqlLiteral(JSON.stringify({ s }))}::jsonb AS j`,
      );
      expect(row!.t).toBe(s);
      expect(row!.a).toEqual([s, null, s]);
      expect(row!.j).toEqual({ s });
    }
    // Nothing was run as SQL: the table the second value names is still there.
    await expect(queryRows(ds, 'SELECT count(*) FROM probe')).resolves.toHaveLength(1);
  });

  it('writes numbers, booleans, dates and NULL as PostgreSQL reads them, and refuses what it cannot write', async () => {
    const at = new Date('2027-01-09T19:00:00.123Z');
    const [row] = await queryRows<{ n: number; b: boolean; d: Date; z: null }>(
      ds,
      `SELECT ${sqlLiteral(-12.5)}::float8 AS n, ${sqlLiteral(true)} AS b, ${sqlLiteral(at)}::timestamptz AS d, ${sqlLiteral(null)}::text AS z`,
    );
    expect(row).toEqual({ n: -12.5, b: true, d: at, z: null });
    expect(() => sqlLiteral(Number.NaN)).toThrow(/not a finite number/);
    expect(() => sqlLiteral({ a: 1 })).toThrow(/no SQL literal for object/);
  });

  it('survives a held connection killed between two queries of a transaction (57P01): the transaction fails, the process and the pool go on', async () => {
    let pid = 0;
    const outcome = pgTransaction(ds, async (client) => {
      pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // Between two queries, as a transaction awaiting something else: the server ends it.
      await queryRows(ds, 'SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await client.query('SELECT 1');
    });
    await expect(outcome).rejects.toThrow(/terminat|not queryable|Connection terminated/i);
    expect(pid).toBeGreaterThan(0);
    // The dead connection was not given back for reuse: the pool answers on a live one.
    await expect(queryRows(ds, 'SELECT 2 AS two')).resolves.toEqual([{ two: 2 }]);
    expect(pgPool(ds).totalCount).toBeGreaterThan(0);
  });

  it('rolls a two-trip transaction back when its second trip fails: nothing of the first stays', async () => {
    await ds.query('CREATE TABLE IF NOT EXISTS two_trips (v text PRIMARY KEY)');
    await expect(
      pgTransactionInTwo(
        ds,
        `INSERT INTO two_trips VALUES (${sqlLiteral("it's kept?")}) RETURNING v`,
        (rows) => ({
          last: `INSERT INTO two_trips VALUES (${sqlLiteral(String(rows[0]!.v))})`,
          result: rows.length,
        }),
      ),
    ).rejects.toThrow(/duplicate key/);
    await expect(queryRows(ds, 'SELECT v FROM two_trips')).resolves.toEqual([]);
    await expect(
      pgTransactionInTwo(ds, `INSERT INTO two_trips VALUES (${sqlLiteral("it's kept")}) RETURNING v`, () => ({
        last: null,
        result: 'done',
      })),
    ).resolves.toBe('done');
    await expect(queryRows(ds, 'SELECT v FROM two_trips')).resolves.toEqual([{ v: "it's kept" }]);
  });
});

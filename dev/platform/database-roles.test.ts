import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '../test-support';
import { serviceRole } from './database-roles';
import type { ServiceName } from './service-names';

/**
 * Least privilege for data (issue 17.13): each service connects as its own role, which owns
 * its schema and nothing else. The database is laid out by the same provisioning `npm start`
 * runs (createTestDatabase → provisionServiceRoles).
 */
describe('per-service database roles', () => {
  let db: TestDatabase;
  const clients: Client[] = [];
  const as = async (svc: ServiceName): Promise<Client> => {
    const c = new Client({ connectionString: db.serviceUrl(svc) });
    await c.connect();
    clients.push(c);
    return c;
  };
  /** The SQLSTATE a statement fails with, or 'ok'. */
  const outcome = (c: Client, sql: string): Promise<string> =>
    c.query(sql).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );

  beforeAll(async () => {
    db = await createTestDatabase('roles');
    const purchase = await as('purchase');
    await purchase.query('CREATE TABLE purchase.probe_orders (id int PRIMARY KEY, paid boolean NOT NULL)');
    await purchase.query('INSERT INTO purchase.probe_orders VALUES (1, false)');
  });
  afterAll(async () => {
    for (const c of clients) await c.end();
    await db?.drop();
  });

  it("when feed's role writes to purchase's schema, then every write is refused with permission denied", async () => {
    const feed = await as('feed');
    expect(await outcome(feed, 'SELECT current_user')).toBe('ok');
    expect((await feed.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u).toBe(
      serviceRole('feed'),
    );
    // 42501 insufficient_privilege: "permission denied for schema purchase" / "must be owner of table".
    expect({
      insert: await outcome(feed, 'INSERT INTO purchase.probe_orders VALUES (2, true)'),
      update: await outcome(feed, 'UPDATE purchase.probe_orders SET paid = true'),
      select: await outcome(feed, 'SELECT * FROM purchase.probe_orders'),
      create: await outcome(feed, 'CREATE TABLE purchase.planted (id int)'),
      drop: await outcome(feed, 'DROP TABLE purchase.probe_orders'),
      alterSchema: await outcome(feed, 'ALTER SCHEMA purchase RENAME TO gone'),
      createSchema: await outcome(feed, 'CREATE SCHEMA elsewhere'),
      createInPublic: await outcome(feed, 'CREATE TABLE public.planted (id int)'),
    }).toEqual({
      insert: '42501',
      update: '42501',
      select: '42501',
      create: '42501',
      drop: '42501',
      alterSchema: '42501',
      createSchema: '42501',
      createInPublic: '42501',
    });
    const purchase = await as('purchase');
    expect((await purchase.query('SELECT id, paid FROM purchase.probe_orders')).rows).toEqual([
      { id: 1, paid: false },
    ]);
  });

  it('when a service role works in its own schema, then it may create, write and drop there', async () => {
    const feed = await as('feed');
    await feed.query('CREATE TABLE feed.probe (id int)');
    await feed.query('INSERT INTO feed.probe VALUES (1)');
    expect((await feed.query('SELECT id FROM feed.probe')).rows).toEqual([{ id: 1 }]);
    await feed.query('DROP TABLE feed.probe');
  });

  it('when the roles are inspected, then none is a superuser or may create roles or databases', async () => {
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    clients.push(admin);
    const { rows } = await admin.query<{ rolname: string; powers: boolean }>(
      `SELECT rolname, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls AS powers
         FROM pg_roles WHERE rolname LIKE 'ts\\_%' ORDER BY rolname`,
    );
    expect(rows).toEqual(
      ['buffer', 'feed', 'payment', 'purchase', 'queue'].map((s) => ({ rolname: `ts_${s}`, powers: false })),
    );
    const owners = await admin.query<{ nspname: string; owner: string }>(
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
        WHERE nspname IN ('feed', 'buffer', 'queue', 'purchase', 'payment') ORDER BY nspname`,
    );
    expect(owners.rows).toEqual(
      ['buffer', 'feed', 'payment', 'purchase', 'queue'].map((s) => ({ nspname: s, owner: `ts_${s}` })),
    );
  });

  it('when a schema already holds objects of another owner (a database from before the roles), then provisioning hands them over', async () => {
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    clients.push(admin);
    await admin.query(
      `CREATE TABLE queue.legacy (id serial PRIMARY KEY); CREATE TYPE queue.mood AS ENUM ('ok');
       CREATE FUNCTION queue.one() RETURNS int LANGUAGE sql AS 'SELECT 1'`,
    );
    const { provisionServiceRoles } = await import('./database-roles');
    await provisionServiceRoles(db.url, db.url);
    const queue = await as('queue');
    expect(await outcome(queue, 'ALTER TABLE queue.legacy ADD COLUMN note text')).toBe('ok');
    expect(await outcome(queue, `ALTER TYPE queue.mood ADD VALUE 'fine'`)).toBe('ok');
    expect(
      await outcome(queue, 'CREATE OR REPLACE FUNCTION queue.one() RETURNS int LANGUAGE sql AS $$SELECT 2$$'),
    ).toBe('ok');
    expect(await outcome(queue, 'INSERT INTO queue.legacy DEFAULT VALUES')).toBe('ok');
  });
});

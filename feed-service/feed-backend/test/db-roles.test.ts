import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { testAdminDatabaseUrl } from '@ticketslave/dev/test-support';
import { loadDbRolesConfig } from '../src/config';
import { runDbRolesCommand } from '../src/db-roles';

const SERVICES = ['buffer', 'feed', 'payment', 'purchase', 'queue'] as const;
/** The local roles' passwords (dev/platform/database-roles.ts), so the shared roles keep theirs. */
const devPassword = (svc: string) => `ts-${svc}-dev-only`;

/**
 * The database bootstrap (`provision-db-roles`, issue 17.13) as it runs on RDS: connected as a
 * master user who is no superuser but may create roles and databases (RDS's master has
 * CREATEROLE CREATEDB and `rds_superuser`), in the database it owns. Such a user may not hand a
 * schema to a role, nor create one for it, unless it is a member of that role — what the
 * provisioning's `GRANT ts_<svc> TO current_user` is for.
 */
describe('provision-db-roles as a non-superuser master user (the RDS path)', () => {
  const tag = randomBytes(4).toString('hex');
  // Not `ts_…`: roles are cluster-wide, and dev/platform/database-roles.test lists every `ts_%` role
  // as a service's (a CI run saw this one there, as a role with powers).
  const master = `rdsmaster_${tag}`;
  const database = `ts_rdspath_${tag}`;
  const url = (user: string, password: string) => {
    const u = new URL(testAdminDatabaseUrl());
    u.username = user;
    u.password = password;
    u.pathname = `/${database}`;
    return u.toString();
  };
  const clients: Client[] = [];
  const connect = async (connectionString: string): Promise<Client> => {
    const c = new Client({ connectionString });
    await c.connect();
    clients.push(c);
    return c;
  };
  const outcome = (c: Client, sql: string): Promise<string> =>
    c.query(sql).then(
      () => 'ok',
      (err: { code?: string }) => err.code ?? 'error',
    );

  beforeAll(async () => {
    const su = await connect(testAdminDatabaseUrl());
    await su.query(`CREATE ROLE "${master}" LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD 'master-pw'`);
    // Like RDS's `db_name`: the database belongs to the master user, who made it.
    const asMaster = await connect(testAdminDatabaseUrl().replace(/\/\/[^@/]*@/, `//${master}:master-pw@`));
    await asMaster.query(`CREATE DATABASE "${database}"`);
  });

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    const su = new Client({ connectionString: testAdminDatabaseUrl() });
    await su.connect();
    await su.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await su.query(`DROP ROLE IF EXISTS "${master}"`);
    await su.end();
  });

  it('when the bootstrap runs as that master user, then each role owns its schema and feed cannot write purchase', async () => {
    const env = loadDbRolesConfig({
      DATABASE_URL: url(master, 'master-pw'),
      ...Object.fromEntries(SERVICES.map((s) => [`DB_ROLE_PASSWORD_${s.toUpperCase()}`, devPassword(s)])),
    });
    await runDbRolesCommand(env);
    // Idempotent: the deploy runs it every time.
    await runDbRolesCommand(env);

    const su = await connect(url(master, 'master-pw'));
    expect(
      (await su.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user'))
        .rows,
    ).toEqual([{ su: false }]);
    const roles = await su.query<{ rolname: string; powers: boolean }>(
      `SELECT rolname, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls AS powers
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [SERVICES.map((s) => `ts_${s}`)],
    );
    expect(roles.rows).toEqual(SERVICES.map((s) => ({ rolname: `ts_${s}`, powers: false })));
    const owners = await su.query<{ nspname: string; owner: string }>(
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
        WHERE pg_get_userbyid(nspowner) LIKE 'ts\\_%' OR nspname = ANY($1) ORDER BY nspname`,
      [SERVICES],
    );
    // Each role owns its schema and no other.
    expect(owners.rows).toEqual(SERVICES.map((s) => ({ nspname: s, owner: `ts_${s}` })));

    const purchase = await connect(url('ts_purchase', devPassword('purchase')));
    expect(
      await outcome(purchase, 'CREATE TABLE purchase.orders_probe (id int PRIMARY KEY, paid boolean)'),
    ).toBe('ok');
    const feed = await connect(url('ts_feed', devPassword('feed')));
    expect({
      insert: await outcome(feed, 'INSERT INTO purchase.orders_probe VALUES (1, true)'),
      create: await outcome(feed, 'CREATE TABLE purchase.planted (id int)'),
      createInPublic: await outcome(feed, 'CREATE TABLE public.planted (id int)'),
      own: await outcome(feed, 'CREATE TABLE feed.mine (id int)'),
    }).toEqual({ insert: '42501', create: '42501', createInPublic: '42501', own: 'ok' });
  });
});

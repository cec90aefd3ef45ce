import type { Client } from 'pg';

/**
 * Least privilege for data (issue 17.13): each service logs in as its own role, which owns its
 * schema and nothing else, so a compromised feed can neither read nor write purchase's tables.
 * The same statements lay out a developer's database (dev/platform/database-roles.ts, as the
 * local superuser) and the production one (`provision-db-roles`, the bootstrap task, as the RDS
 * master user; deployment/db-roles.tf).
 */
export const SERVICE_SCHEMAS = ['feed', 'buffer', 'queue', 'purchase', 'payment'] as const;
export type ServiceSchema = (typeof SERVICE_SCHEMAS)[number];

/** The login role of a service: `ts_<service>`, owner of the schema `<service>`. */
export const serviceRole = (svc: ServiceSchema): string => `ts_${svc}`;

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** SQLSTATEs of a role created by someone else meanwhile (roles are the cluster's, shared by every database). */
const CREATED_MEANWHILE = new Set(['42710', '23505', 'XX000']);

/**
 * Creates each service's login role when missing, a login and nothing more (no superuser, no
 * CREATEROLE, no CREATEDB, no inheritance). With `setPassword`, an existing role's password is
 * set again too (the production bootstrap after a rotation); locally it is left as it is.
 */
export async function ensureServiceRoles(
  admin: Client,
  passwords: Record<ServiceSchema, string>,
  opts: { setPassword?: boolean } = {},
): Promise<void> {
  for (const svc of SERVICE_SCHEMAS) {
    const role = serviceRole(svc);
    const { rowCount } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (rowCount) {
      if (opts.setPassword)
        await admin.query(`ALTER ROLE "${role}" PASSWORD ${quoteLiteral(passwords[svc])}`);
      continue;
    }
    try {
      await admin.query(
        `CREATE ROLE "${role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${quoteLiteral(passwords[svc])}`,
      );
    } catch (err) {
      if (!CREATED_MEANWHILE.has((err as { code?: string }).code ?? '')) throw err;
    }
  }
}

/**
 * The statements that lay out one database for the five roles, run in that database by a user who
 * may grant on it and is a member of the roles (a superuser; the RDS master user, which creates
 * them): only the five roles may connect; nobody may create in `public`; each service's schema
 * exists and is owned by its role, with every object already in it handed over (a database
 * migrated before roles existed, or a table an operator's command created). Idempotent.
 */
export function databaseLayoutSql(database: string): string[] {
  const grants = SERVICE_SCHEMAS.map((s) => `"${serviceRole(s)}"`).join(', ');
  return [
    `REVOKE ALL ON DATABASE "${database}" FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE "${database}" TO ${grants}`,
    `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
    ...SERVICE_SCHEMAS.flatMap((svc) => {
      const role = serviceRole(svc);
      return [
        `CREATE SCHEMA IF NOT EXISTS "${svc}" AUTHORIZATION "${role}"`,
        `ALTER SCHEMA "${svc}" OWNER TO "${role}"`,
        `REVOKE ALL ON SCHEMA "${svc}" FROM PUBLIC`,
        handOverSql(svc, role),
      ];
    }),
  ];
}

/** Gives `role` every table, view, sequence, function and type of the schema that another role owns. */
function handOverSql(schema: string, role: string): string {
  return `DO $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
    WHERE c.relnamespace = '"${schema}"'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND c.relowner <> '"${role}"'::regrole
      -- a column's sequence follows its table
      AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
        AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
  LOOP
    EXECUTE format('ALTER %s %s OWNER TO "${role}"',
      CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.name);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
    WHERE p.pronamespace = '"${schema}"'::regnamespace AND p.proowner <> '"${role}"'::regrole
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO "${role}"', r.name);
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name FROM pg_type t
    WHERE t.typnamespace = '"${schema}"'::regnamespace AND t.typowner <> '"${role}"'::regrole
      AND (t.typtype IN ('e', 'd', 'r')
        OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO "${role}"', r.name);
  END LOOP;
END $$`;
}

/** Roles, then the layout of the database `admin` is connected to. */
export async function provisionServiceRoles(
  admin: Client,
  passwords: Record<ServiceSchema, string>,
  opts: { setPassword?: boolean } = {},
): Promise<void> {
  await ensureServiceRoles(admin, passwords, opts);
  const { rows } = await admin.query<{ db: string }>('SELECT current_database() AS db');
  // RDS: the master user is not a superuser; it may act as the roles it created once it is a member.
  const { rows: me } = await admin.query<{ su: boolean }>(
    'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user',
  );
  if (!me[0]?.su)
    for (const svc of SERVICE_SCHEMAS) await admin.query(`GRANT "${serviceRole(svc)}" TO current_user`);
  for (const sql of databaseLayoutSql(rows[0]!.db)) await admin.query(sql);
}

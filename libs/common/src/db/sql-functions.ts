import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { QueryRunner } from 'typeorm';
import type { Logger } from '../logger';

/** One file of a service's `src/data/sql/`: `CREATE OR REPLACE FUNCTION` statements, nothing else. */
export interface SqlSource {
  file: string;
  sql: string;
}

/**
 * The `.sql` files of a directory, in name order. A service passes its `src/data/sql`
 * (next to the module that names it: the production bundle copies that directory to
 * `dist/sql`, beside `dist/main.js`). A missing directory is an error, not "no functions".
 */
export function sqlFunctionsIn(dir: string): SqlSource[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => ({ file, sql: readFileSync(path.join(dir, file), 'utf8') }));
}

interface FunctionRow {
  oid: string;
  signature: string;
  row_version: string;
  pinned: boolean;
}

/**
 * Makes the schema's SQL functions exactly those of `sources`, in one transaction on
 * `runner` (which holds the migration lock). SQL functions are source code, not
 * migration history: every function of the schema is one of these files, so anything
 * else there is obsolete.
 *
 * Every function is dropped and created again: a changed signature or return type,
 * which `CREATE OR REPLACE` refuses, needs no special case, and an obsolete one is
 * simply not created again. Other sessions see the old set or the new one (the
 * transaction is atomic) and re-plan statements that call them. A function something
 * else depends on (a generated column, a trigger, a view) cannot be dropped; it is
 * replaced in place, so its signature must stay, and it is an error for its file to
 * no longer define it.
 *
 * `checkBodies: false` creates functions whose bodies name tables that pending
 * migrations have yet to create (PostgreSQL then checks a body at its first call).
 */
export async function syncSqlFunctions(
  runner: QueryRunner,
  sources: SqlSource[],
  opts: { checkBodies: boolean; logger?: Logger },
): Promise<void> {
  await runner.startTransaction();
  try {
    await runner.query(`SET LOCAL check_function_bodies = ${opts.checkBodies ? 'on' : 'off'}`);
    const before = await schemaFunctions(runner);
    const droppable = before.filter((f) => !f.pinned);
    if (droppable.length > 0)
      await runner.query(`DROP FUNCTION ${droppable.map((f) => f.signature).join(', ')}`);
    for (const s of sources) {
      try {
        await runner.query(s.sql);
      } catch (err) {
        throw new Error(`${s.file}: ${(err as Error).message}`, { cause: err });
      }
    }
    const after = new Map((await schemaFunctions(runner)).map((f) => [f.oid, f]));
    const stale = before.filter((f) => f.pinned && after.get(f.oid)?.row_version === f.row_version);
    if (stale.length > 0)
      throw new Error(
        `SQL functions no longer in src/data/sql but still depended on (a column, trigger or view): ${stale
          .map((f) => f.signature)
          .join(', ')}; drop what depends on them in a migration first`,
      );
    await runner.commitTransaction();
    const gone = droppable.filter((f) => ![...after.values()].some((a) => a.signature === f.signature));
    opts.logger?.info(
      { functions: after.size, ...(gone.length ? { dropped: gone.map((f) => f.signature) } : {}) },
      'sql functions applied',
    );
  } catch (err) {
    await runner.rollbackTransaction();
    throw err;
  }
}

/**
 * The functions of the current schema (extensions' aside), and whether anything but
 * another function depends on them. `row_version` (the catalog row's xmin) changes
 * when a function is replaced.
 */
async function schemaFunctions(runner: QueryRunner): Promise<FunctionRow[]> {
  return (await runner.query(
    `SELECT p.oid::text AS oid, p.oid::regprocedure::text AS signature, p.xmin::text AS row_version,
            EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid
                      AND d.classid <> 'pg_proc'::regclass AND d.deptype = 'n') AS pinned
       FROM pg_proc p
      WHERE p.pronamespace = current_schema()::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_depend e
                        WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
      ORDER BY p.oid`,
  )) as FunctionRow[];
}

import type { Queryable } from './outbox';

/**
 * Runs SQL and returns the rows. TypeORM's postgres driver answers UPDATE and DELETE
 * with `[rows, rowCount]` but other statements with `rows`; this hides the difference.
 */
export async function queryRows<T = Record<string, unknown>>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const raw: unknown = await db.query(sql, params);
  if (Array.isArray(raw) && raw.length === 2 && Array.isArray(raw[0]) && typeof raw[1] === 'number')
    return raw[0] as T[];
  return (raw ?? []) as T[];
}

export async function queryOne<T = Record<string, unknown>>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T | undefined> {
  return (await queryRows<T>(db, sql, params))[0];
}

import type { DataSource } from 'typeorm';
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

/**
 * Reads a query's rows in batches through a server-side cursor (one connection, one
 * REPEATABLE READ transaction: a consistent snapshot), so an export of any size holds one
 * batch in memory at a time. The caller's pace is the cursor's: it fetches the next batch
 * when the loop asks for it (an HTTP response that waits for `drain` slows the reads down).
 */
export async function* streamRows<T = Record<string, unknown>>(
  ds: DataSource,
  sql: string,
  params: unknown[] = [],
  batchSize = 2000,
): AsyncGenerator<T[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  let open = false;
  try {
    await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    open = true;
    await runner.query(`DECLARE stream_rows NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const rows = (await runner.query(
        `FETCH ${Math.max(1, Math.floor(batchSize))} FROM stream_rows`,
      )) as T[];
      if (!rows.length) break;
      yield rows;
    }
    await runner.query('COMMIT');
    open = false;
  } finally {
    // A consumer that stopped early (a client that went away) ends here too.
    if (open) await runner.query('ROLLBACK').catch(() => undefined);
    await runner.release();
  }
}

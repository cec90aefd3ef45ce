import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { Queryable } from './outbox';

/** Statements run as named prepared statements, on their own or in a transaction. */
export interface PreparedStatements extends Queryable {
  /** Runs `fn` in one transaction on one pooled connection; its statements are prepared too. */
  transaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
}

/**
 * Runs statements straight on the DataSource's pg pool as named prepared statements:
 * each connection parses and plans a statement once, then only binds and executes it.
 * For fixed SQL texts on the hot path (holds, join batches): `query` runs a statement as
 * its own transaction, `transaction` several in one, without the ORM's query runner.
 */
export function preparedStatements(ds: DataSource): PreparedStatements {
  const pool = () => pgPool(ds);
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `ts_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
      names.set(text, name);
    }
    return name;
  };
  const on = (client: Pool | PoolClient): Queryable =>
    ({
      query: async (text: string, values?: unknown[]) =>
        (await client.query({ name: nameOf(text), text, values })).rows,
    }) as Queryable;
  return {
    query: (text: string, values?: unknown[]) => on(pool()).query(text, values),
    transaction: <T>(fn: (db: Queryable) => Promise<T>): Promise<T> =>
      pgTransaction(ds, (client) => fn(on(client))),
  };
}

/** A pg connection as a Queryable (`enqueueMessages` and the like inside a `pgTransaction`). */
export const asQueryable = (client: PoolClient): Queryable =>
  ({
    query: async (text: string, values?: unknown[]) => (await client.query(text, values)).rows,
  }) as Queryable;

/** The DataSource's pg pool (TypeORM's postgres driver keeps it as `master` once initialized). */
export const pgPool = (ds: DataSource): Pool => (ds.driver as unknown as { master: Pool }).master;

/**
 * Runs `fn` in one transaction on a pooled pg connection of its own, for what the ORM cannot
 * carry: COPY streams (pg-copy-streams), prepared statements. Same search_path as the ORM's.
 */
export async function pgTransaction<T>(ds: DataSource, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pgPool(ds).connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    // A connection whose rollback failed is in an unknown state: it is closed, not reused.
    await client.query('ROLLBACK').then(
      () => client.release(),
      (rollbackErr: Error) => client.release(rollbackErr),
    );
    throw err;
  }
}

import { createHash } from 'node:crypto';
import { escapeLiteral, type Pool, type PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { Queryable } from './outbox';

/** Statements run as named prepared statements, on their own or in a transaction. */
export interface PreparedStatements extends Queryable {
  /** Runs `fn` in one transaction on one pooled connection; its statements are prepared too. */
  transaction<T>(fn: (db: Queryable) => Promise<T>): Promise<T>;
  /** `pgTransactionInTwo` on a pooled connection: a transaction in two round trips. */
  transactionInTwo<T>(first: string, then: SecondTripOf<T>): Promise<T>;
}

/** What a two-trip transaction sends with its COMMIT (`null`: nothing), and what it answers. */
export interface SecondTrip<T> {
  last: string | null;
  result: T;
}

/**
 * Builds the second trip from the first's rows; may take its time (sign what the first
 * answered), the transaction open meanwhile, so only for work measured in milliseconds.
 */
export type SecondTripOf<T> = (rows: Record<string, unknown>[]) => SecondTrip<T> | Promise<SecondTrip<T>>;

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
    transactionInTwo: <T>(first: string, then: SecondTripOf<T>) => pgTransactionInTwo(ds, first, then),
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
  return inTransaction(ds, async (client) => {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  });
}

/**
 * Runs `body` (which opens and commits its transaction) on a pooled connection held for it;
 * on any error the transaction is rolled back, and a connection whose rollback failed is in an
 * unknown state: it is closed, not reused. The pool listens for errors only on idle
 * connections: one that fails while held and between queries (the server shut down, the
 * database dropped: 57P01) would emit an `error` nobody hears and crash the process. Held, it
 * keeps the error; the transaction's next query fails, and the connection is closed on release.
 */
async function inTransaction<T>(ds: DataSource, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pgPool(ds).connect();
  let lost: Error | undefined;
  const onError = (err: Error) => (lost ??= err);
  client.on('error', onError);
  const release = (err?: Error) => {
    client.removeListener('error', onError);
    client.release(err ?? lost);
  };
  try {
    const result = await body(client);
    release();
    return result;
  } catch (err) {
    await client.query('ROLLBACK').then(
      () => release(),
      (rollbackErr: Error) => release(rollbackErr),
    );
    throw err;
  }
}

/**
 * One transaction in two round trips on a pooled connection: `BEGIN; <first>`, then
 * `<last>; COMMIT` with the statement `then` builds from the first's rows: each trip one
 * multi-statement simple query, so one write each way (as the outbox relay's horizon).
 * `BEGIN`, a statement, another and `COMMIT` as four extended-protocol queries are four
 * round trips, and each is a loopback write both ways. Simple queries take no parameters:
 * the texts carry their values as literals (`sqlLiteral`), and are parsed and planned each
 * time, so this is for statements that are cheap to plan (a function call, an INSERT from
 * arrays). On any error the transaction is rolled back.
 */
export async function pgTransactionInTwo<T>(
  ds: DataSource,
  first: string,
  then: SecondTripOf<T>,
): Promise<T> {
  return inTransaction(ds, async (client) => {
    const opened = (await client.query(`BEGIN; ${first}`)) as unknown as {
      rows: Record<string, unknown>[];
    }[];
    const { last, result } = await then(opened[1]?.rows ?? []);
    await client.query(last === null ? 'COMMIT' : `${last}; COMMIT`);
    return result;
  });
}

/**
 * A value as an SQL literal, for statements sent without parameters (`pgTransactionInTwo`):
 * NULL, a number, a boolean, a quoted string (a Date as its ISO text), or an array of those
 * as a quoted array literal. The caller adds the cast (`::jsonb`, `::text[]`).
 */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  if (typeof value === 'string') return escapeLiteral(value);
  if (Array.isArray(value)) return escapeLiteral(`{${value.map(arrayElement).join(',')}}`);
  throw new Error(`no SQL literal for ${typeof value}`);
}

/** Values as a function call's argument list of SQL literals (`SELECT f(${sqlArgs([...])})`). */
export const sqlArgs = (values: unknown[]): string => values.map(sqlLiteral).join(', ');

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  throw new Error(`no SQL array element for ${typeof value}`);
}

import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Queryable } from './outbox';

/**
 * Runs statements straight on the DataSource's pg pool as named prepared statements:
 * each connection parses and plans a statement once, then only binds and executes it.
 * For fixed SQL texts on the hot path (holds, join batches); every statement is its own transaction.
 */
export function preparedStatements(ds: DataSource): Queryable {
  // TypeORM's postgres driver keeps its pg pool as `master` (there once the DataSource is initialized).
  const pool = () => (ds.driver as unknown as { master: Pool }).master;
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) {
      name = `ts_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
      names.set(text, name);
    }
    return name;
  };
  return {
    query: async (text: string, values?: unknown[]) =>
      (await pool().query({ name: nameOf(text), text, values })).rows,
  } as Queryable;
}

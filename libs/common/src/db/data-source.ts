import 'reflect-metadata';
import { DataSource, type EntityManager, type MixedList, type EntitySchema } from 'typeorm';
import type { Logger } from '../logger';
import { KIT_TABLES_SQL } from './kit-tables';
import { RATE_LIMIT_FUNCTIONS_SQL } from './rate-limit-store';
import { lockKeySql } from './locks';
import { syncSqlFunctions, type SqlSource } from './sql-functions';

export interface DataSourceOptions {
  url: string;
  /** The service's own schema; every table of the service lives here. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

export function createDataSource(opts: DataSourceOptions): DataSource {
  if (!/^[a-z_][a-z0-9_]*$/.test(opts.schema)) throw new Error(`invalid schema name ${opts.schema}`);
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    schema: opts.schema,
    entities: opts.entities ?? [],
    migrations: opts.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: opts.applicationName ?? opts.schema,
    // Raw SQL (migrations, hand-written queries) resolves unqualified names in the service schema.
    extra: {
      max: opts.poolSize ?? 20,
      options: `-c search_path=${opts.schema},public`,
      idleTimeoutMillis: 30000,
    },
  });
}

/**
 * Creates the schema, the kit's own tables (outbox, processed messages), runs the
 * service's migrations and applies its SQL functions (see syncSqlFunctions), all under a
 * session advisory lock, so instances starting together take turns instead of racing.
 * When migrations are pending, the functions are put in place before them too, their
 * bodies unchecked: a migration may use one (feed's generated price columns do), while
 * another's body may name a table those migrations create.
 */
export async function migrate(
  ds: DataSource,
  schema: string,
  opts: {
    logger?: Logger;
    /** The schema's SQL functions, all of them (its `src/data/sql`); `[]` for a schema without any. */
    sqlFunctions: SqlSource[];
  },
): Promise<void> {
  const { logger } = opts;
  // The kit's own functions first (the rate-limit take), then the service's.
  const sqlFunctions: SqlSource[] = [
    { file: 'libs/common rate-limit-store.ts', sql: RATE_LIMIT_FUNCTIONS_SQL },
    ...opts.sqlFunctions,
  ];
  if (!ds.isInitialized) await ds.initialize();
  const runner = ds.createQueryRunner();
  await runner.connect();
  const lock = lockKeySql('kit.migrate', '$1');
  try {
    await runner.query(`SELECT pg_advisory_lock(${lock})`, [schema]);
    // Each service's own role owns its schema, made by the provisioning, and may not create
    // schemas (issue 17.13): CREATE SCHEMA, even IF NOT EXISTS, needs that right, so ask first.
    const found = (await runner.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      schema,
    ])) as unknown[];
    if (!found.length) await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await runner.query(`SET search_path TO "${schema}", public`);
    await runner.query(KIT_TABLES_SQL);
    const pending = await ds.showMigrations();
    if (pending) await syncSqlFunctions(runner, sqlFunctions, { checkBodies: false });
    const ran = await ds.runMigrations({ transaction: 'each' });
    if (ran.length) logger?.info({ migrations: ran.map((m) => m.name) }, 'migrations applied');
    await syncSqlFunctions(runner, sqlFunctions, { checkBodies: true, logger });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(${lock})`, [schema]).catch(() => undefined);
    await runner.release();
  }
}

/** Runs `fn` in one transaction. */
export function inTransaction<T>(ds: DataSource, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(fn);
}

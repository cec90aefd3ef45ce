import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');

/** The broker tests share; `npm test` starts it, global-setup starts it when missing. */
export const TEST_KAFKA = {
  port: Number(process.env.TEST_KAFKA_PORT ?? 19092),
  controllerPort: Number(process.env.TEST_KAFKA_CONTROLLER_PORT ?? 19093),
  dataDir: path.join(LOCAL_DIR, 'kafka-test'),
};
export const testKafkaBrokers = (): string[] =>
  (process.env.TEST_KAFKA_BROKERS ?? `127.0.0.1:${TEST_KAFKA.port}`).split(',');

/** Admin connection used to create and drop per-test databases. */
export const testAdminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_ADMIN_URL ??
  process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

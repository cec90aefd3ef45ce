import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const LOCAL_DIR = path.join(REPO_ROOT, '.local');

const testKafkaPort = Number(process.env.TEST_KAFKA_PORT ?? 19092);
/**
 * The broker tests and benches share; `npm test` and `npm run bench:*` start it when missing,
 * and so does global-setup. A broker on another port (TEST_KAFKA_PORT) gets a data dir of its own.
 */
export const TEST_KAFKA = {
  port: testKafkaPort,
  controllerPort: Number(process.env.TEST_KAFKA_CONTROLLER_PORT ?? testKafkaPort + 1),
  dataDir: path.join(LOCAL_DIR, testKafkaPort === 19092 ? 'kafka-test' : `kafka-test-${testKafkaPort}`),
};
export const testKafkaBrokers = (): string[] =>
  (process.env.TEST_KAFKA_BROKERS ?? `127.0.0.1:${TEST_KAFKA.port}`).split(',');

/** Admin connection used to create and drop per-test databases. */
export const testAdminDatabaseUrl = (): string =>
  process.env.TEST_DATABASE_ADMIN_URL ??
  process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

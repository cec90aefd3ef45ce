import { mkdirSync } from 'node:fs';
import { Client } from 'pg';
import { TEST_KAFKA, testAdminDatabaseUrl, testKafkaBrokers } from './env';

/**
 * Makes sure the real infrastructure tests use is there: PostgreSQL answers and the
 * test Kafka broker runs (started here when `npm test` did not start it already).
 */
export default async function globalSetup(): Promise<void> {
  const pg = new Client({ connectionString: testAdminDatabaseUrl() });
  await pg.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${testAdminDatabaseUrl()}: ${err.message}`);
  });
  await pg.end();
  if (process.env.TS_TEST_SKIP_KAFKA === '1') return;
  const { isKafkaReachable, startKafka, ensureKafkaJars } = await import('../kafka/broker');
  if (await isKafkaReachable(testKafkaBrokers(), 3000)) return;
  await ensureKafkaJars();
  mkdirSync(TEST_KAFKA.dataDir, { recursive: true });
  const broker = await startKafka({
    port: TEST_KAFKA.port,
    controllerPort: TEST_KAFKA.controllerPort,
    dataDir: TEST_KAFKA.dataDir,
    heapMb: 768,
  });
  (globalThis as { __tsTestBroker?: { stop(): Promise<void> } }).__tsTestBroker = broker;
}

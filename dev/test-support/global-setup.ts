import { mkdirSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { TEST_KAFKA, testAdminDatabaseUrl, testKafkaBrokers } from './env';

/**
 * Makes sure the real infrastructure tests use is there: PostgreSQL answers and the
 * test Kafka broker runs. `npm test` starts and stops the broker itself; a bare
 * `npx jest` starts it here, detached, and leaves it running for the next run:
 * stopping it in teardown would pull it from under any other jest run sharing it.
 * (`npx tsx dev/kafka/cli.ts stop --port 19092 --data-dir .local/kafka-test` stops it.)
 */
export default async function globalSetup(): Promise<void> {
  const pg = new Client({ connectionString: testAdminDatabaseUrl() });
  await pg.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at ${testAdminDatabaseUrl()}: ${err.message}`);
  });
  await pg.end();
  if (process.env.TS_TEST_SKIP_KAFKA === '1') return;
  const { isKafkaReachable, startKafka, ensureKafkaJars, brokerPaths } = await import('../kafka/broker');
  // A loaded broker can take a while to answer; only start one when the port is really free.
  if (await isKafkaReachable(testKafkaBrokers(), 10_000)) return;
  await ensureKafkaJars();
  mkdirSync(TEST_KAFKA.dataDir, { recursive: true });
  const broker = await startKafka({
    port: TEST_KAFKA.port,
    controllerPort: TEST_KAFKA.controllerPort,
    dataDir: TEST_KAFKA.dataDir,
    heapMb: 768,
    detached: true,
  });
  writeFileSync(brokerPaths(TEST_KAFKA.dataDir).pidFile, `${broker.pid}\n`);
  console.log(
    `\n[test] started the test Kafka broker on ${broker.brokers.join(',')} (pid ${broker.pid}); it keeps running`,
  );
}

import { mkdirSync } from 'node:fs';
import { ensureKafkaJars, isKafkaReachable, startKafka, type KafkaBroker } from '../kafka/broker';
import { TEST_KAFKA, testKafkaBrokers } from '../test-support/env';
import { LOCAL } from './paths';
import { ensurePostgres } from './postgres';

export interface TestInfra {
  /** What the test or bench processes need to find it: TEST_KAFKA_BROKERS, TEST_DATABASE_ADMIN_URL. */
  env: Record<string, string>;
  /** Stops what this call started (a broker, a private PostgreSQL cluster); leaves alone what it found running. */
  stop(): Promise<void>;
}

/**
 * The infrastructure `npm test` and the benches run against, started when missing and
 * stopped by `stop()`: PostgreSQL (`TEST_DATABASE_ADMIN_URL`, else `DATABASE_URL`, else
 * 127.0.0.1:5432, else a private cluster under `.local/pg`) and the test Kafka broker
 * (`TEST_KAFKA_BROKERS` when set and answering; else 127.0.0.1:`TEST_KAFKA_PORT`, 19092 by
 * default, started there when nothing answers). Every start is logged.
 */
export async function provisionTestInfra(log: (m: string) => void): Promise<TestInfra> {
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  };
  try {
    let adminUrl = process.env.TEST_DATABASE_ADMIN_URL;
    if (!adminUrl) {
      const pg = await ensurePostgres(LOCAL, log);
      stops.push(() => pg.stop());
      adminUrl = pg.adminUrl;
    }
    // Jars also for suites and drills that start brokers of their own.
    await ensureKafkaJars();
    const brokers = testKafkaBrokers();
    // A loaded broker can take a while to answer; only start one when nothing does.
    if (!(await isKafkaReachable(brokers, 10_000))) {
      if (process.env.TEST_KAFKA_BROKERS)
        throw new Error(`TEST_KAFKA_BROKERS=${process.env.TEST_KAFKA_BROKERS} does not answer`);
      mkdirSync(TEST_KAFKA.dataDir, { recursive: true });
      log(
        `starting a Kafka broker on ${brokers.join(',')} (data in ${TEST_KAFKA.dataDir}); stopped at the end`,
      );
      const broker: KafkaBroker = await startKafka({
        port: TEST_KAFKA.port,
        controllerPort: TEST_KAFKA.controllerPort,
        dataDir: TEST_KAFKA.dataDir,
        heapMb: 768,
      });
      stops.push(async () => {
        log(`stopping the Kafka broker on ${brokers.join(',')}`);
        await broker.stop();
      });
    }
    return { env: { TEST_KAFKA_BROKERS: brokers.join(','), TEST_DATABASE_ADMIN_URL: adminUrl }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

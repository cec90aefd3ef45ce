import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import {
  allTopicSpecs,
  createTopicsAndWait,
  generateSigningJwks,
  type Envelope,
  type PrivateJwkSet,
} from '@ticketslave/common';
import { provisionServiceRoles } from '../platform/database-roles';
import type { ServiceName } from '../platform/service-names';
import { testAdminDatabaseUrl, testKafkaBrokers } from './env';

export * from './env';
export * from './proof-of-work';
export * from './pdf';
export * from './wallet';
import { TEST_POW_HMAC_KEY } from './proof-of-work';

export interface TestDatabase {
  /** The database as the server's admin user sees it: for a test's own checks and fixtures. */
  url: string;
  name: string;
  /** The database as a service connects to it: its own role, owning only its schema (issue 17.13). */
  serviceUrl(svc: ServiceName): string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file, laid out as `npm start`'s is: the five service
 * roles may connect, each owns its schema; dropped (connections and all) afterwards.
 */
export async function createTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `ts_${label.replace(/[^a-z0-9]/g, '').slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  const admin = new Client({ connectionString: testAdminDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(testAdminDatabaseUrl());
  url.pathname = `/${name}`;
  const serviceUrls = await provisionServiceRoles(testAdminDatabaseUrl(), url.toString());
  return {
    name,
    url: url.toString(),
    serviceUrl: (svc) => serviceUrls[svc],
    drop: async () => {
      const c = new Client({ connectionString: testAdminDatabaseUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestKafka {
  brokers: string[];
  /** Topic/group prefix isolating this test from others on the shared broker. */
  prefix: string;
  /** Deletes this test's topics. */
  cleanup(): Promise<void>;
}

/**
 * A private namespace on the shared test broker, topics created up front. `partitions:
 * 'declared'` gives each topic its production partition count (benches that measure
 * how keys spread), instead of one.
 */
export async function createTestKafka(
  label = 't',
  brokers = testKafkaBrokers(),
  opts: { partitions?: 'one' | 'declared' } = {},
): Promise<TestKafka> {
  const prefix = `${label.replace(/[^a-z0-9]/g, '').slice(0, 12)}${randomBytes(4).toString('hex')}.`;
  const kafka = new Kafka({ clientId: 'test-support', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  // One partition per topic: every test file gets its own namespace, and the single test
  // broker stays quick with a few thousand partitions rather than tens of thousands.
  await createTopicsAndWait(
    admin,
    allTopicSpecs(prefix).map((t) => ({
      ...t,
      numPartitions: opts.partitions === 'declared' && !t.topic.endsWith('.dlq') ? t.numPartitions : 1,
    })),
  );
  await admin.disconnect();
  return {
    brokers,
    prefix,
    cleanup: async () => {
      const a = kafka.admin();
      await a.connect();
      const topics = (await a.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length) await a.deleteTopics({ topics }).catch(() => undefined);
      await a.disconnect();
    },
  };
}

/** Reads a whole topic (all partitions) from the beginning until `until` is satisfied or the timeout passes. */
export async function readTopic<T = Envelope>(
  brokers: string[],
  topic: string,
  opts: { until?: (messages: T[]) => boolean; timeoutMs?: number; raw?: boolean } = {},
): Promise<T[]> {
  const kafka = new Kafka({ clientId: 'test-reader', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString('hex')}` });
  const messages: T[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const until = opts.until ?? (() => false);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, opts.timeoutMs ?? 10_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const value = message.value?.toString() ?? '';
        messages.push(
          (opts.raw
            ? { key: message.key?.toString(), value, headers: message.headers }
            : JSON.parse(value)) as T,
        );
        if (until(messages)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return messages;
}

/** Signing keys for one test run (production and dev keys come from configuration). */
export async function testSigningKeys(kid = 'test-1'): Promise<PrivateJwkSet> {
  return generateSigningJwks(kid);
}

/**
 * The origin secret services accept in tests (`serviceTestEnv`), as CloudFront sends it in AWS.
 * Not a secret: test services listen on loopback only.
 */
export const TEST_EDGE = { header: 'X-Origin-Secret', secret: 'test-origin-secret-not-secret' };

/**
 * The headers of a request that came through our CloudFront distribution from `ip`: how a test
 * or a load generator stands for many fans from one machine (libs/common `clientIp`).
 */
export function viewerHeaders(
  ip: string,
  edge: { header: string; secret: string } = TEST_EDGE,
): Record<string, string> {
  return { [edge.header]: edge.secret, 'cloudfront-viewer-address': `${ip}:443` };
}

/**
 * The environment `svc` needs in tests, on a private database and Kafka namespace, connecting
 * to the database as its own role.
 */
export function serviceTestEnv(
  svc: ServiceName,
  db: TestDatabase,
  kafka: TestKafka,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    DATABASE_URL: db.serviceUrl(svc),
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC_PREFIX: kafka.prefix,
    PUBLIC_BASE_URL: 'http://localhost:8080',
    // Two jest workers each starting several services share one server (max_connections 100).
    DB_POOL_SIZE: '5',
    ORIGIN_SECRET_HEADER: TEST_EDGE.header,
    ORIGIN_SECRETS: TEST_EDGE.secret,
    // Feed's registration and buffer's join ask for a proof of work signed with this.
    POW_HMAC_KEY: TEST_POW_HMAC_KEY,
    // Tests solve every proof of work for real, at the lowest difficulty the services accept.
    REGISTER_POW_MAX_NUMBER: '1000',
    ...extra,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  opts: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${opts.message ?? 'condition not met in time'}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await sleep(opts.intervalMs ?? 100);
  }
}
export * from './identity';

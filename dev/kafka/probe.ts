import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/** A SCRAM-SHA-512 login, for a broker started with `scram` (broker.ts). */
export interface ScramLogin {
  username: string;
  password: string;
}

function client(brokers: string[], timeoutMs: number, sasl?: ScramLogin): Kafka {
  return new Kafka({
    clientId: 'ticketslave-dev-kafka',
    brokers,
    ...(sasl ? { sasl: { mechanism: 'scram-sha-512' as const, ...sasl } } : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: Math.max(timeoutMs, 5000),
    // The caller owns the retry loop and its deadline; kafkajs's own backoff would overrun it.
    retry: { retries: 0 },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** True when a Kafka broker at `brokers` answers a metadata round trip within the timeout. */
export async function isKafkaReachable(
  brokers: string[],
  timeoutMs = 3000,
  sasl?: ScramLogin,
): Promise<boolean> {
  const admin = client(brokers, timeoutMs, sasl).admin();
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      timeoutMs,
      'describeCluster',
    );
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Resolves once something accepts TCP connections on host:port; cheap to poll during JVM start. */
export function portAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when nothing listens on host:port, so a broker we start there cannot be confused with another. */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * One full produce/consume round trip through a throwaway topic and consumer group. A broker
 * that passes has a working controller, partition leadership, the log, the group coordinator
 * and __consumer_offsets: what every service needs, not just an open port.
 */
export async function roundTrip(brokers: string[], timeoutMs: number, sasl?: ScramLogin): Promise<void> {
  const kafka = client(brokers, timeoutMs, sasl);
  const suffix = randomBytes(6).toString('hex');
  const topic = `__ts_ready_${suffix}`;
  const groupId = `__ts_ready_${suffix}`;
  const value = `ready-${suffix}`;
  const admin = kafka.admin();
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const consumer = kafka.consumer({ groupId, retry: { retries: 5, initialRetryTime: 100 } });
  let created = false;
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        await admin.createTopics({
          topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
          waitForLeaders: true,
          timeout: timeoutMs,
        });
        created = true;
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: [{ value }] });
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          // Right after a fresh start the group coordinator may not exist yet; kafkajs reports
          // that as a crash event, not a rejection, and would otherwise leave us waiting.
          consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
          consumer
            .run({
              eachMessage: async ({ message }) => {
                if (message.value?.toString() === value) resolve();
              },
            })
            .catch(reject);
        });
      })(),
      timeoutMs,
      'readiness round trip',
    );
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    if (created) await admin.deleteTopics({ topics: [topic], timeout: 5000 }).catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

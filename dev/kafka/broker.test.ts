import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createTopicsAndWait } from '@ticketslave/common';
import { isKafkaReachable, startKafka, type KafkaBroker } from './broker';

const port = 19392;
const controllerPort = 19393;
const topic = 'ts.dev-kafka-test';

function kafka(broker: KafkaBroker): Kafka {
  return new Kafka({ clientId: 'dev-kafka-test', brokers: broker.brokers, logLevel: logLevel.NOTHING });
}

/** Reads every message of the topic from the beginning with a new group, until `count` arrive. */
async function readAll(broker: KafkaBroker, count: number): Promise<string[]> {
  const consumer = kafka(broker).consumer({ groupId: `dev-kafka-test-${Date.now()}` });
  const seen: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${seen.length} of ${count} messages arrived`)),
        30_000,
      );
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message.value?.toString() ?? '');
            if (seen.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('dev Kafka broker', () => {
  let dataDir: string;
  let broker: KafkaBroker | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ts-dev-kafka-'));
  });

  // A test that failed with its broker running must not leave the port taken for the next.
  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  afterAll(async () => {
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when started, round-trips a message, and after a restart on the same data dir still has it', async () => {
    broker = await startKafka({ port, controllerPort, dataDir });
    expect(broker.brokers).toEqual([`127.0.0.1:${port}`]);

    const admin = kafka(broker).admin();
    await admin.connect();
    // Not kafkajs's waitForLeaders: it gives up on the "does not host this topic-partition" a
    // new KRaft broker answers while the topic's metadata propagates (a CI run failed so, 2026-12-07).
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    await admin.disconnect();
    const producer = kafka(broker).producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'evt-1', value: 'before restart' }] });
    await producer.disconnect();
    expect(await readAll(broker, 1)).toEqual(['before restart']);

    const firstPid = broker.pid;
    await broker.stop();
    expect(await isKafkaReachable(broker.brokers, 1000)).toBe(false);
    broker = undefined;

    broker = await startKafka({ port, controllerPort, dataDir });
    expect(broker.pid).not.toBe(firstPid);
    expect(await readAll(broker, 1)).toEqual(['before restart']);

    await broker.stop();
    broker = undefined;
  }, 150_000);

  it('when the port is taken by a running broker, refuses to start a second one', async () => {
    const otherDir = await mkdtemp(path.join(os.tmpdir(), 'ts-dev-kafka-other-'));
    broker = await startKafka({ port, controllerPort, dataDir });
    try {
      await expect(
        startKafka({ port, controllerPort: controllerPort + 10, dataDir: otherDir }),
      ).rejects.toThrow(/already in use/);
    } finally {
      await broker.stop();
      broker = undefined;
      await rm(otherDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('when the JVM dies during start-up, fails fast with the tail of its output', async () => {
    const deadDir = await mkdtemp(path.join(os.tmpdir(), 'ts-dev-kafka-dead-'));
    try {
      // A 1 MB heap is below the JVM's minimum: the process exits before Kafka runs at all. The
      // error names the exit and carries the JVM's output: it came from the exit, not from the
      // start-up timeout (whose message is a different one).
      await expect(startKafka({ port, controllerPort, dataDir: deadDir, heapMb: 1 })).rejects.toThrow(
        /exited during start-up[\s\S]*heap/i,
      );
    } finally {
      await rm(deadDir, { recursive: true, force: true });
    }
  }, 60_000);
});

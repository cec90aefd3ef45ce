import { createTestKafka, eventually, readTopic, type TestKafka } from '@ticketslave/dev/test-support';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import client from 'prom-client';
import {
  createLogger,
  DEAD_LETTER_GAUGE,
  deadLetterGauge,
  DLQ_GROUP_HEADER,
  DLQ_REPLAY_GROUP,
  envelope,
  KafkaBus,
  workThroughDeadLetters,
} from '../src';

const logger = createLogger('dead-letters-test', 'silent');
const ORDER = '00000000-0000-4000-8000-0000000000d1';

describe('dead letters waiting for an operator (real broker)', () => {
  let kafka: TestKafka;
  let bus: KafkaBus;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = await createTestKafka('dlqdepth');
    bus = new KafkaBus({ clientId: 'dlq-test', brokers: kafka.brokers, logger, topicPrefix: kafka.prefix });
    await bus.start();
    const k = new Kafka({ clientId: 'dlq-test-admin', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    admin = k.admin();
    producer = k.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([admin.disconnect(), producer.disconnect(), bus.stop()]);
    await kafka.cleanup();
  });

  const deadLetter = (topic: string, partition: number, n: number) =>
    producer.send({
      topic: kafka.prefix + topic,
      messages: Array.from({ length: n }, (_, i) => ({ partition, key: `k${i}`, value: `dead ${i}` })),
    });
  /** What the replay tool does once it has dealt with a partition up to `offset` (exclusive). */
  const replayedUpTo = (topic: string, partition: number, offset: number) =>
    admin.setOffsets({
      groupId: kafka.prefix + DLQ_REPLAY_GROUP,
      topic: kafka.prefix + topic,
      partitions: [{ partition, offset: String(offset) }],
    });

  // A KRaft broker answers "not the leader" for a while after a topic or partition is created.
  const waiting = (topics: string[]) =>
    eventually(() => bus.deadLettersWaiting(topics), { timeoutMs: 20_000 });

  it('when nothing was ever replayed, every dead letter on every partition waits; a committed offset takes off what is behind it', async () => {
    expect(await waiting(['payment.failed.dlq', 'refund.requested.dlq'])).toEqual({
      'payment.failed.dlq': 0,
      'refund.requested.dlq': 0,
    });
    // Dead-letter topics have their source's partitions in production; here one has six.
    await admin.createPartitions({
      topicPartitions: [{ topic: kafka.prefix + 'payment.failed.dlq', count: 6 }],
    });
    await eventually(
      async () =>
        (
          await admin.fetchTopicMetadata({ topics: [kafka.prefix + 'payment.failed.dlq'] })
        ).topics[0]!.partitions.filter((p) => p.leader >= 0).length === 6,
      { timeoutMs: 20_000 },
    );
    await deadLetter('payment.failed.dlq', 0, 3);
    await deadLetter('payment.failed.dlq', 5, 2);
    await deadLetter('refund.requested.dlq', 0, 1);
    expect(await waiting(['payment.failed.dlq', 'refund.requested.dlq'])).toEqual({
      'payment.failed.dlq': 5,
      'refund.requested.dlq': 1,
    });

    await replayedUpTo('payment.failed.dlq', 0, 2);
    expect(await waiting(['payment.failed.dlq'])).toEqual({ 'payment.failed.dlq': 3 });
    await replayedUpTo('payment.failed.dlq', 0, 3);
    await replayedUpTo('payment.failed.dlq', 5, 2);
    await replayedUpTo('refund.requested.dlq', 0, 1);
    expect(await waiting(['payment.failed.dlq', 'refund.requested.dlq'])).toEqual({
      'payment.failed.dlq': 0,
      'refund.requested.dlq': 0,
    });

    // A new dead letter after the replay is waiting again.
    await deadLetter('payment.failed.dlq', 0, 1);
    expect(await waiting(['payment.failed.dlq'])).toEqual({ 'payment.failed.dlq': 1 });
  });

  it('when a consumer gives up on a message, its DLQ copy names the group and the gauge on /metrics counts it until replayed', async () => {
    const registry = new client.Registry();
    deadLetterGauge({
      registry,
      topics: ['order.expired.dlq'],
      read: (topics) => bus.deadLettersWaiting(topics),
    });
    const gauge = async () =>
      (await registry.getSingleMetric(DEAD_LETTER_GAUGE)!.get()).values.map((v) => [v.labels.topic, v.value]);
    expect(await gauge()).toEqual([['order.expired.dlq', 0]]);

    const consumer = await bus.subscribe({
      groupId: 'purchase.expiry-test',
      topics: ['order.expired'],
      maxAttempts: 1,
      handler: () => Promise.reject(new Error('cannot cope')),
    });
    await bus.publish([
      {
        topic: 'order.expired',
        envelope: envelope('order.expired', {
          orderId: ORDER,
          eventId: '6f1c1f3e-55d5-4a51-9d6b-0d5b2f0c8a11',
          userId: 'u1',
          admissionId: 'a1',
          amountMinor: 100,
          currency: 'EUR',
        }),
      },
    ]);
    await eventually(async () => (await gauge())[0]?.[1] === 1, { timeoutMs: 30_000 });
    await consumer.stop();

    // The prometheus text a scraper (the CloudWatch agent in ECS) reads.
    expect(await registry.metrics()).toContain(`${DEAD_LETTER_GAUGE}{topic="order.expired.dlq"} 1`);

    const fetched = await readOne(kafka.brokers, kafka.prefix + 'order.expired.dlq');
    expect(fetched[DLQ_GROUP_HEADER]).toBe('purchase.expiry-test');

    await replayedUpTo('order.expired.dlq', 0, 1);
    expect(await gauge()).toEqual([['order.expired.dlq', 0]]);
  });

  it('when an operator replays dead letters, each goes back to its source topic once and stops counting; dropped ones just stop counting', async () => {
    const k = new Kafka({ clientId: 'dlq-test-ops', brokers: kafka.brokers, logLevel: logLevel.NOTHING });
    await producer.send({
      topic: kafka.prefix + 'payment.voided.dlq',
      messages: ['a', 'b', 'c'].map((v) => ({
        key: ORDER,
        value: v,
        headers: { 'message-id': `m-${v}`, 'dlq-error': 'boom', [DLQ_GROUP_HEADER]: 'purchase.payments' },
      })),
    });
    const depth = () => waiting(['payment.voided.dlq']).then((d) => d['payment.voided.dlq']);
    expect(await depth()).toBe(3);

    const shown = await workThroughDeadLetters(k, {
      dlqTopic: 'payment.voided.dlq',
      sourceTopic: 'payment.voided',
      prefix: kafka.prefix,
      mode: 'show',
    });
    expect(shown.map((l) => [l.value, l.group, l.error])).toEqual([
      ['a', 'purchase.payments', 'boom'],
      ['b', 'purchase.payments', 'boom'],
      ['c', 'purchase.payments', 'boom'],
    ]);
    expect(await depth()).toBe(3);

    const replayed = await workThroughDeadLetters(k, {
      dlqTopic: 'payment.voided.dlq',
      sourceTopic: 'payment.voided',
      prefix: kafka.prefix,
      mode: 'replay',
      limit: 2,
    });
    expect(replayed.map((l) => l.value)).toEqual(['a', 'b']);
    expect(await depth()).toBe(1);
    const back = await readTopic<{ value: string; headers: Record<string, Buffer> }>(
      kafka.brokers,
      kafka.prefix + 'payment.voided',
      { raw: true, until: (m) => m.length >= 2 },
    );
    expect(back.map((m) => [m.value, m.headers['message-id']?.toString(), m.headers['dlq-error']])).toEqual([
      ['a', 'm-a', undefined],
      ['b', 'm-b', undefined],
    ]);
    expect(back[0]!.headers['dlq-replayed-from']!.toString()).toBe('payment.voided.dlq/0/0');

    const dropped = await workThroughDeadLetters(k, {
      dlqTopic: 'payment.voided.dlq',
      sourceTopic: 'payment.voided',
      prefix: kafka.prefix,
      mode: 'drop',
    });
    expect(dropped.map((l) => l.value)).toEqual(['c']);
    expect(await depth()).toBe(0);
    // Nothing waiting: nothing read, nothing replayed twice.
    expect(
      await workThroughDeadLetters(k, {
        dlqTopic: 'payment.voided.dlq',
        sourceTopic: 'payment.voided',
        prefix: kafka.prefix,
        mode: 'replay',
      }),
    ).toEqual([]);
  });

  it('when the broker cannot be asked, the gauge has no figure rather than a stale one', async () => {
    const registry = new client.Registry();
    deadLetterGauge({
      registry,
      topics: ['order.expired.dlq'],
      read: () => new Promise(() => undefined),
      timeoutMs: 50,
    });
    expect((await registry.getSingleMetric(DEAD_LETTER_GAUGE)!.get()).values).toEqual([]);
  });
});

/** The headers of the first message of a topic. */
async function readOne(brokers: string[], topic: string): Promise<Record<string, string>> {
  const k = new Kafka({ clientId: 'dlq-test-read', brokers, logLevel: logLevel.NOTHING });
  const consumer = k.consumer({ groupId: `read-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const headers = await new Promise<Record<string, string>>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) =>
        resolve(Object.fromEntries(Object.entries(message.headers ?? {}).map(([h, v]) => [h, String(v)]))),
    });
  });
  await consumer.disconnect();
  return headers;
}

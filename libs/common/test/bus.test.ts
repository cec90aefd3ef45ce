import { createTestKafka, eventually, readTopic, type TestKafka } from '@ticketslave/dev/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger, envelope, KafkaBus, type IncomingMessage } from '../src';

const EVENT = '6f1c1f3e-55d5-4a51-9d6b-0d5b2f0c8a11';
const logger = createLogger('bus-test', 'silent');

describe('KafkaBus (real broker)', () => {
  let kafka: TestKafka;
  let bus: KafkaBus;

  beforeAll(async () => {
    kafka = await createTestKafka('bus');
    bus = new KafkaBus({ clientId: 'bus-test', brokers: kafka.brokers, logger, topicPrefix: kafka.prefix });
    await bus.start();
  });
  afterAll(async () => {
    await bus.stop();
    await kafka.cleanup();
  });

  it('delivers a published message to a subscriber with its envelope, key and request id', async () => {
    const received: IncomingMessage[] = [];
    const consumer = await bus.subscribe({
      groupId: 'roundtrip',
      topics: ['event.cancelled'],
      handler: async (m) => void received.push(m),
    });
    const msg = envelope('event.cancelled', { eventId: EVENT, reason: 'storm' });
    await bus.publish([
      { topic: 'event.cancelled', key: EVENT, envelope: msg, headers: { 'x-request-id': 'req-42' } },
    ]);
    await eventually(() => received.length === 1, { timeoutMs: 20_000 });
    expect(received[0]!.envelope).toEqual(msg);
    expect(received[0]!.key).toBe(EVENT);
    expect(received[0]!.headers['x-request-id']).toBe('req-42');
    await consumer.stop();
  });

  it('sends a poison message to the DLQ after its retries and keeps consuming', async () => {
    const handled: string[] = [];
    let attempts = 0;
    const consumer = await bus.subscribe({
      groupId: 'poison',
      topics: ['order.cancelled'],
      maxAttempts: 3,
      retryBaseMs: 20,
      handler: async (m) => {
        const p = m.envelope.payload as { reason?: string; orderId: string };
        if (p.reason === 'explode') {
          attempts++;
          throw new Error('handler cannot cope');
        }
        handled.push(p.orderId);
      },
    });
    const order = (orderId: string, reason: string) =>
      envelope('order.cancelled', {
        orderId,
        eventId: EVENT,
        userId: 'u1',
        admissionId: 'a1',
        amountMinor: 100,
        currency: 'EUR',
        reason,
      });
    const bad = order('00000000-0000-4000-8000-000000000001', 'explode');
    const good = order('00000000-0000-4000-8000-000000000002', 'fine');
    await bus.publish([{ topic: 'order.cancelled', key: EVENT, envelope: bad }]);
    // A message that is not even a valid envelope goes straight to the DLQ.
    const raw = new Kafka({ clientId: 'raw', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic: `${kafka.prefix}order.cancelled`,
      messages: [{ key: EVENT, value: '{"not":"an envelope"}' }],
    });
    await raw.disconnect();
    await bus.publish([{ topic: 'order.cancelled', key: EVENT, envelope: good }]);

    await eventually(() => handled.includes(good.payload.orderId), { timeoutMs: 20_000 });
    expect(attempts).toBe(3);
    const dlq = await readTopic<{ value: string; headers: Record<string, Buffer> }>(
      kafka.brokers,
      `${kafka.prefix}order.cancelled.dlq`,
      {
        raw: true,
        until: (m) => m.length >= 2,
      },
    );
    expect(dlq).toHaveLength(2);
    expect(JSON.parse(dlq[0]!.value).id).toBe(bad.id);
    expect(dlq[0]!.headers['dlq-error']!.toString()).toContain('handler cannot cope');
    expect(dlq[1]!.headers['dlq-error']!.toString()).toContain('bad envelope');
    await consumer.stop();
  });

  it("publishes one key's messages beyond the broker's 1 MB batch limit, in order", async () => {
    const received: number[] = [];
    const consumer = await bus.subscribe({
      groupId: 'large',
      topics: ['queue.assigned'],
      handler: async (m) => {
        const p = m.envelope.payload as { assignments: { queueNumber: number }[] };
        received.push(p.assignments[0]!.queueNumber);
      },
    });
    // Four ~350 KB messages for one event: together well over message.max.bytes.
    const batches = [0, 1, 2, 3].map((b) =>
      envelope('queue.assigned', {
        eventId: EVENT,
        late: false,
        assignments: Array.from({ length: 8000 }, (_, i) => ({
          userId: `user-${b}-${i}-padding`,
          queueNumber: b * 8000 + i + 1,
        })),
      }),
    );
    await bus.publish(batches.map((e) => ({ topic: 'queue.assigned' as const, key: EVENT, envelope: e })));
    await eventually(() => received.length === 4, { timeoutMs: 30_000 });
    expect(received).toEqual([1, 8001, 16001, 24001]);
    await consumer.stop();
  });

  it('refuses to build a message whose payload breaks its topic schema', () => {
    expect(() => envelope('event.cancelled', { eventId: 'not-a-uuid', reason: 'x' })).toThrow();
  });
});

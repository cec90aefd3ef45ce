import { createTestKafka, eventually, readTopic, type TestKafka } from '@ticketslave/dev/test-support';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger, envelope, FETCH_MAX_WAIT_MS, KafkaBus, type IncomingMessage } from '../src';

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
    await bus.publish([{ topic: 'event.cancelled', envelope: msg, headers: { 'x-request-id': 'req-42' } }]);
    await eventually(() => received.length === 1, { timeoutMs: 20_000 });
    expect(received[0]!.envelope).toEqual(msg);
    expect(received[0]!.key).toBe(EVENT);
    expect(received[0]!.headers['x-request-id']).toBe('req-42');
    await consumer.stop();
  });

  it("keys each message by its topic's declared field: order and payment messages by order, the rest by event", async () => {
    const orderId = '00000000-0000-4000-8000-0000000000aa';
    const ref = {
      orderId,
      eventId: EVENT,
      userId: 'u1',
      admissionId: 'a1',
      amountMinor: 100,
      currency: 'EUR',
    };
    await bus.publish([
      { topic: 'order.completed', envelope: envelope('order.completed', ref) },
      {
        topic: 'payment.captured',
        envelope: envelope('payment.captured', { ...ref, paymentIntentId: 'pi_1' }),
      },
      {
        topic: 'inventory.changed',
        envelope: envelope('inventory.changed', { eventId: EVENT, available: 1, held: 0, sold: 0 }),
      },
    ]);
    const keyOf = async (topic: string) =>
      (
        await readTopic<{ key: string }>(kafka.brokers, kafka.prefix + topic, {
          raw: true,
          until: (m) => m.length > 0,
        })
      )[0]?.key;
    expect(await keyOf('order.completed')).toBe(orderId);
    expect(await keyOf('payment.captured')).toBe(orderId);
    expect(await keyOf('inventory.changed')).toBe(EVENT);
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
    await bus.publish([{ topic: 'order.cancelled', envelope: bad }]);
    // A message that is not even a valid envelope goes straight to the DLQ.
    const raw = new Kafka({ clientId: 'raw', brokers: kafka.brokers, logLevel: logLevel.NOTHING }).producer();
    await raw.connect();
    await raw.send({
      topic: `${kafka.prefix}order.cancelled`,
      messages: [{ value: '{"not":"an envelope"}' }],
    });
    await raw.disconnect();
    await bus.publish([{ topic: 'order.cancelled', envelope: good }]);

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
    await bus.publish(batches.map((e) => ({ topic: 'queue.assigned' as const, envelope: e })));
    await eventually(() => received.length === 4, { timeoutMs: 30_000 });
    expect(received).toEqual([1, 8001, 16001, 24001]);
    await consumer.stop();
  });

  it('with parallelBy, handles different keys of one partition at once and one key in order, at least once', async () => {
    const orders = Array.from({ length: 8 }, (_, i) => `00000000-0000-4000-8000-00000000010${i}`);
    const msgs = orders.flatMap((orderId) =>
      ['first', 'second', 'third'].map((reason) =>
        envelope('order.cancelled', {
          orderId,
          eventId: EVENT,
          userId: 'u1',
          admissionId: `a-${orderId}`,
          amountMinor: 100,
          currency: 'EUR',
          reason,
        }),
      ),
    );
    // Test topics have one partition: 24 messages on one partition, as a single on-sale's were when keyed by event.
    await bus.publish(msgs.map((e) => ({ topic: 'order.cancelled' as const, envelope: e })));
    const seen = new Map<string, string[]>();
    let inFlight = 0;
    let peak = 0;
    let crashOnce = true;
    const subscribe = (groupId: string, crash: boolean) =>
      bus.subscribe({
        groupId,
        topics: ['order.cancelled'],
        parallelBy: (m) => (m.envelope.payload as { orderId: string }).orderId,
        handler: async (m) => {
          const p = m.envelope.payload as { orderId: string; reason: string };
          if (!orders.includes(p.orderId)) return; // the DLQ test's messages on the same topic
          inFlight++;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 30));
          inFlight--;
          if (crash && crashOnce && p.orderId === orders[5] && p.reason === 'second') {
            crashOnce = false;
            throw Object.assign(new Error('database restarting'), { code: '57P03' }); // transient: retried
          }
          seen.set(p.orderId, [...(seen.get(p.orderId) ?? []), p.reason]);
        },
      });
    const consumer = await subscribe('parallel', true);
    await eventually(() => [...seen.values()].flat().length === 24, { timeoutMs: 30_000 });
    // Handlers of different keys overlapped (one after another, at most one is ever in flight).
    expect(peak).toBeGreaterThan(4);
    for (const orderId of orders) expect(seen.get(orderId)).toEqual(['first', 'second', 'third']);
    await consumer.stop();
    // The offsets were committed: the same group starting again gets nothing more.
    seen.clear();
    const again = await subscribe('parallel', false);
    await new Promise((r) => setTimeout(r, 3000));
    expect(seen.size).toBe(0);
    await again.stop();
  });

  it('with parallelBy, a slow message holds up neither the messages fetched after it nor the commit of those before it', async () => {
    const cancelled = (orderId: string, reason: string) =>
      envelope('order.cancelled', {
        orderId,
        eventId: EVENT,
        userId: 'u1',
        admissionId: `a-${orderId}`,
        amountMinor: 100,
        currency: 'EUR',
        reason,
      });
    const slow = '00000000-0000-4000-8000-000000000201';
    const fast = '00000000-0000-4000-8000-000000000202';
    const handled: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let slowStarted = false;
    const subscribe = () =>
      bus.subscribe({
        groupId: 'slow-head',
        topics: ['order.cancelled'],
        parallelBy: (m) => (m.envelope.payload as { orderId: string }).orderId,
        handler: async (m) => {
          const p = m.envelope.payload as { orderId: string; reason: string };
          if (p.orderId !== slow && p.orderId !== fast) return; // other tests' messages on the topic
          if (p.reason === 'slow') {
            slowStarted = true;
            await released; // a Stripe call that takes its time
          }
          handled.push(p.reason);
        },
      });
    const consumer = await subscribe();
    try {
      await bus.publish([{ topic: 'order.cancelled', envelope: cancelled(slow, 'slow') }]);
      await eventually(() => slowStarted, { timeoutMs: 20_000 });
      // Published after the slow one was fetched: with batches that waited for their slowest
      // message, kafkajs would not fetch this until the slow one finished.
      await bus.publish([{ topic: 'order.cancelled', envelope: cancelled(fast, 'fast') }]);
      await eventually(() => handled.includes('fast'), {
        timeoutMs: 10_000,
        message: 'the fast message waited',
      });
      expect(handled).toEqual(['fast']);
    } finally {
      // Released whatever happened above: a handler left waiting would hold the suite at its end.
      release();
    }
    await eventually(() => handled.length === 2, { timeoutMs: 10_000 });
    await consumer.stop();
    // Both finished before the stop, so both are committed: the group starting again gets neither.
    handled.length = 0;
    const again = await subscribe();
    await new Promise((r) => setTimeout(r, 3000));
    expect(handled).toEqual([]);
    await again.stop();
  });

  it('with parallelBy, a consumer stopped while a message runs finishes it and commits it before it leaves', async () => {
    const orderId = '00000000-0000-4000-8000-000000000301';
    const msg = envelope('order.cancelled', {
      orderId,
      eventId: EVENT,
      userId: 'u1',
      admissionId: `a-${orderId}`,
      amountMinor: 100,
      currency: 'EUR',
      reason: 'stopping',
    });
    let runs = 0;
    let started = false;
    const subscribe = () =>
      bus.subscribe({
        groupId: 'drain-on-stop',
        topics: ['order.cancelled'],
        parallelBy: (m) => (m.envelope.payload as { orderId: string }).orderId,
        handler: async (m) => {
          if ((m.envelope.payload as { orderId: string }).orderId !== orderId) return;
          started = true;
          await new Promise((r) => setTimeout(r, 1500));
          runs++;
        },
      });
    const consumer = await subscribe();
    await bus.publish([{ topic: 'order.cancelled', envelope: msg }]);
    await eventually(() => started, { timeoutMs: 20_000 });
    await consumer.stop();
    expect(runs).toBe(1);
    const again = await subscribe();
    await new Promise((r) => setTimeout(r, 3000));
    expect(runs).toBe(1);
    await again.stop();
  });

  it('stops an idle consumer within its fetch wait: a service stops inside its budget', async () => {
    const received: IncomingMessage[] = [];
    const consumer = await bus.subscribe({
      groupId: 'idle-stop',
      topics: ['event.cancelled'],
      handler: async (m) => void received.push(m),
    });
    // Consuming (it has read what is there), so a fetch waits at the broker for more.
    await bus.publish([
      { topic: 'event.cancelled', envelope: envelope('event.cancelled', { eventId: EVENT, reason: 'idle' }) },
    ]);
    await eventually(() => received.length > 0, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 300));
    const began = Date.now();
    await consumer.stop();
    // The fetch in flight answers within FETCH_MAX_WAIT_MS; leaving the group is one request.
    // kafkajs' default wait (5 s) took ~4.9 s here and left little of the 8 s stop budget.
    expect(Date.now() - began).toBeLessThan(FETCH_MAX_WAIT_MS + 1500);
  });

  it('refuses to build a message whose payload breaks its topic schema', () => {
    expect(() => envelope('event.cancelled', { eventId: 'not-a-uuid', reason: 'x' })).toThrow();
  });
});

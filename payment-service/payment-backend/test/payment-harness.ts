import { randomBytes, randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import Stripe from 'stripe';
import {
  allTopicSpecs,
  createLogger,
  envelope,
  KafkaBus,
  queryRows,
  type BusConsumer,
  type Envelope,
  type Payload,
  type RunningService,
  type TopicName,
} from '@ticketslave/common';
import {
  createTestDatabase,
  eventually,
  serviceTestEnv,
  sleep,
  startTestIdentity,
  testKafkaBrokers,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { startStripeStandIn, type StripeStandIn, type StripeStandInSnapshot } from '@ticketslave/dev/stripe';
import { loadPaymentConfig } from '../src/config';
import { startPaymentService } from '../src/start';

/**
 * Like `createTestKafka`, but patient: the shared test broker, when loaded with thousands
 * of topics, answers metadata for brand-new topics with "does not host this
 * topic-partition" for a while, which kafkajs's `waitForLeaders` does not wait out.
 */
async function kafkaNamespace(label: string): Promise<TestKafka> {
  const brokers = testKafkaBrokers();
  const prefix = `${label}${randomBytes(4).toString('hex')}.`;
  const kafka = new Kafka({ clientId: `payment-test-${label}`, brokers, logLevel: logLevel.NOTHING });
  const topics = allTopicSpecs(prefix).map((t) => ({ ...t, numPartitions: Math.min(t.numPartitions, 3) }));
  const cleanup = async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topics.map((t) => t.topic) }).catch(() => undefined);
    await admin.disconnect();
  };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: false });
    await eventually(
      async () => {
        const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        return found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      },
      { timeoutMs: 45_000, intervalMs: 300, message: 'test topics never got leaders' },
    );
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  } finally {
    await admin.disconnect();
  }
  return { brokers, prefix, cleanup };
}

/** Starting and subscribing meet the same hiccup; they create nothing new, so they try again. */
async function settingUp<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= 4 || !/topic-partition|leader/i.test((err as Error).message)) throw err;
      await sleep(500 * attempt);
    }
  }
}

export const WEBHOOK_SECRET = 'whsec_payment_test_secret';
/**
 * How long a wait for the service may take. Generous on purpose: in a full `npm test` on a
 * loaded 2-core machine one hop (outbox, broker, consumer, Stripe stand-in) can take
 * seconds. Waits return as soon as the condition holds, so a fast machine pays nothing.
 */
export const PATIENCE_MS = 60_000;
/** Per-test budget for tests made of several such waits. */
export const TEST_TIMEOUT_MS = 4 * PATIENCE_MS;
const PAYMENT_TOPICS = [
  'payment.authorized',
  'payment.captured',
  'payment.voided',
  'payment.refunded',
  'payment.failed',
  'payment.refund_failed',
  'payment.disputed',
] as const;

/**
 * The payment service on port 0 with everything real around it: its own database, a
 * private namespace on the test broker, the Stripe stand-in over HTTP posting signed
 * webhooks to the service, and feed's JWKS served by the test identity. The test plays
 * purchase: it publishes order.* through a KafkaBus and listens to payment.*.
 */
export class PaymentHarness {
  db!: TestDatabase;
  kafka!: TestKafka;
  identity!: TestIdentity;
  standIn!: StripeStandIn;
  service!: RunningService;
  stripe!: Stripe;
  private bus!: KafkaBus;
  private listener!: BusConsumer;
  readonly emitted: Envelope[] = [];

  /** `publicPort` pins the service's port so Stripe's return URLs lead back to it (browser tests). */
  async start(label: string, opts: { publicPort?: number; webhookRetryMs?: number } = {}): Promise<void> {
    [this.db, this.kafka, this.identity] = await Promise.all([
      createTestDatabase(label),
      kafkaNamespace(label),
      startTestIdentity(),
    ]);
    this.standIn = await startStripeStandIn({
      port: 0,
      webhookSecret: WEBHOOK_SECRET,
      webhookRetry: { initialDelayMs: opts.webhookRetryMs ?? 50, maxAttempts: 5 },
    });
    this.publicPort = opts.publicPort;
    this.service = await this.startService();
    await this.standIn.setWebhookUrl(`${this.service.url}/payment/api/stripe/webhook`);
    this.stripe = new Stripe('sk_test_payment', {
      host: '127.0.0.1',
      port: this.standIn.port,
      protocol: 'http',
    });
    this.bus = new KafkaBus({
      clientId: `payment-test-${label}`,
      brokers: this.kafka.brokers,
      logger: createLogger('payment-test', 'silent'),
      topicPrefix: this.kafka.prefix,
    });
    await this.bus.start();
    this.listener = await settingUp(() =>
      this.bus.subscribe({
        groupId: 'test-listener',
        topics: [...PAYMENT_TOPICS],
        handler: (m) => {
          this.emitted.push(m.envelope);
          return Promise.resolve();
        },
      }),
    );
  }

  private publicPort: number | undefined;

  private startService(port = this.publicPort ?? 0): Promise<RunningService> {
    return settingUp(() => this.startServiceOnce(port));
  }

  private startServiceOnce(port: number): Promise<RunningService> {
    return startPaymentService(
      loadPaymentConfig(
        serviceTestEnv('payment', this.db, this.kafka, {
          FEED_JWKS_URL: this.identity.feed.jwksUrl,
          STRIPE_SECRET_KEY: 'sk_test_payment',
          STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
          STRIPE_API_HOST: '127.0.0.1',
          STRIPE_API_PORT: String(this.standIn.port),
          STRIPE_API_PROTOCOL: 'http',
          ...(this.publicPort ? { PUBLIC_BASE_URL: `http://127.0.0.1:${this.publicPort}` } : {}),
        }),
      ),
      { port },
    );
  }

  /** Stops the service (as a crash or deploy would) and starts a new instance on the same port. */
  async restartService(whileDown: () => Promise<void>): Promise<void> {
    const port = this.service.port;
    await this.service.stop();
    await whileDown();
    this.service = await this.startService(port);
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    await this.bus?.stop();
    await this.service?.stop();
    await this.standIn?.stop();
    await this.identity?.stop();
    await this.kafka?.cleanup();
    await this.db?.drop();
  }

  publish<T extends TopicName>(topic: T, payload: Payload<T>): Promise<void> {
    return this.bus.publish([{ topic, envelope: envelope(topic, payload) }]);
  }

  /** Messages payment emitted of one type for one order, once at least `count` arrived. */
  async messages<T extends TopicName>(type: T, orderId: string, count = 1): Promise<Payload<T>[]> {
    const pick = () =>
      this.emitted
        .filter((e) => e.type === type && (e.payload as { orderId: string }).orderId === orderId)
        .map((e) => e.payload as Payload<T>);
    await eventually(() => pick().length >= count, {
      timeoutMs: PATIENCE_MS,
      message: `waiting for ${type} of ${orderId}`,
    });
    return pick();
  }

  /** How many messages of a type the service's consumer group has handled (its /metrics). */
  async handled(group: string, type: TopicName): Promise<number> {
    const text = await (await fetch(`${this.service.url}/payment/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`ts_kafka_handler_seconds_count{group="${group}",type="${type}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  countOf(type: TopicName, orderId: string): number {
    return this.emitted.filter(
      (e) => e.type === type && (e.payload as { orderId: string }).orderId === orderId,
    ).length;
  }

  fetch(path: string, init: RequestInit & { cookie?: string } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('cookie', init.cookie);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${this.service.url}${path}`, { ...init, headers });
  }

  /** Waits until feed's snapshot of the event has been consumed. */
  async publishEvent(snapshot: Payload<'event.published'>): Promise<void> {
    await this.publish('event.published', snapshot);
    const known = async () =>
      (await queryRows(this.service.kit.ds, 'SELECT 1 FROM events WHERE event_id = $1', [snapshot.eventId]))
        .length > 0;
    await eventually(known, { timeoutMs: PATIENCE_MS, message: 'event.published never reached payment' });
  }

  /** purchase held seats: announces the order and waits until payment knows it. */
  async holdOrder(
    opts: { userId?: string; eventId?: string; amountMinor?: number; holdSeconds?: number } = {},
  ): Promise<{
    orderId: string;
    eventId: string;
    userId: string;
    cookie: string;
    ref: Payload<'order.completed'>;
  }> {
    const ref = {
      orderId: randomUUID(),
      eventId: opts.eventId ?? randomUUID(),
      userId: opts.userId ?? `fan-${randomUUID().slice(0, 8)}`,
      admissionId: randomUUID(),
      amountMinor: opts.amountMinor ?? 9000,
      currency: 'EUR',
    };
    await this.publish('order.created', {
      ...ref,
      expiresAt: new Date(Date.now() + (opts.holdSeconds ?? 600) * 1000).toISOString(),
    });
    const cookie = await this.identity.sessionCookie({ id: ref.userId });
    await eventually(async () => (await this.fetch(`/payment/api/orders/${ref.orderId}`, { cookie })).ok, {
      timeoutMs: PATIENCE_MS,
      message: 'order.created never reached payment',
    });
    return { ...ref, cookie, ref };
  }

  /**
   * Pays while the webhook endpoint is unreachable: Stripe records the events but
   * cannot deliver them; the test delivers them later (late or forged deliveries).
   * Returns the checkout.session.completed event as Stripe would send it.
   */
  async payWithoutWebhooks(sessionId: string): Promise<{ id: string; body: string }> {
    await this.standIn.setWebhookUrl(undefined);
    try {
      await this.standIn.pay(sessionId);
      await this.standIn.webhooksIdle();
    } finally {
      await this.standIn.setWebhookUrl(`${this.service.url}/payment/api/stripe/webhook`);
    }
    const record = await this.stripeEvent('checkout.session.completed', sessionId);
    return { id: record.event.id, body: JSON.stringify(record.event, null, 2) };
  }

  /**
   * The stand-in's event of `type` for a checkout: a session's by its id, another object's
   * (payment intent, charge) by the session's order in its metadata.
   */
  async stripeEvent(type: string, sessionId: string): Promise<StripeStandInSnapshot['events'][number]> {
    const { events, sessions } = await this.standIn.state();
    const orderId = sessions[sessionId]?.session.metadata?.orderId;
    const record = events.find((r) => {
      if (r.event.type !== type) return false;
      const object = r.event.data.object as { id: string; metadata?: { orderId?: string } };
      return type.startsWith('checkout.session.')
        ? object.id === sessionId
        : orderId !== undefined && object.metadata?.orderId === orderId;
    });
    if (!record) throw new Error(`no ${type} for checkout ${sessionId}`);
    return record;
  }

  /** How often the service asked Stripe for this payment intent (`GET /v1/payment_intents/:id`). */
  async intentLookups(paymentIntentId: string): Promise<number> {
    return (await this.standIn.apiRequests())[`GET /v1/payment_intents/${paymentIntentId}`] ?? 0;
  }

  async checkout(orderId: string, cookie: string): Promise<{ url: string; sessionId: string }> {
    const res = await this.fetch(`/payment/api/orders/${orderId}/checkout`, { method: 'POST', cookie });
    if (res.status !== 200) throw new Error(`checkout answered ${res.status}: ${await res.text()}`);
    const { url } = (await res.json()) as { url: string };
    return { url, sessionId: url.split('/').pop() as string };
  }

  async status(orderId: string, cookie: string): Promise<string> {
    const res = await this.fetch(`/payment/api/orders/${orderId}`, { cookie });
    return ((await res.json()) as { status: string }).status;
  }

  /** Hold → checkout → pay with a good card (or `card`, with `cardholderName`) → payment.authorized. */
  async authorizedOrder(
    opts: Parameters<PaymentHarness['holdOrder']>[0] & { card?: string; cardholderName?: string } = {},
  ) {
    const order = await this.holdOrder(opts);
    const { sessionId } = await this.checkout(order.orderId, order.cookie);
    await this.standIn.pay(sessionId, opts.card, opts.cardholderName);
    const [authorized] = await this.messages('payment.authorized', order.orderId);
    return {
      ...order,
      sessionId,
      paymentIntentId: (authorized as Payload<'payment.authorized'>).paymentIntentId,
    };
  }

  async capturedOrder(opts: Parameters<PaymentHarness['authorizedOrder']>[0] = {}) {
    const order = await this.authorizedOrder(opts);
    await this.publish('order.completed', order.ref);
    await this.messages('payment.captured', order.orderId);
    return order;
  }
}

import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import {
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
  createTestKafka,
  eventually,
  serviceTestEnv,
  startTestIdentity,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { startStripeStandIn, type StripeStandIn } from '@ticketslave/dev/stripe';
import { loadPaymentConfig } from '../src/config';
import { startPaymentService } from '../src/start';

export const WEBHOOK_SECRET = 'whsec_payment_test_secret';
const PAYMENT_TOPICS = [
  'payment.authorized',
  'payment.captured',
  'payment.voided',
  'payment.refunded',
  'payment.failed',
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
  async start(label: string, opts: { publicPort?: number } = {}): Promise<void> {
    [this.db, this.kafka, this.identity] = await Promise.all([
      createTestDatabase(label),
      createTestKafka(label),
      startTestIdentity(),
    ]);
    this.standIn = await startStripeStandIn({
      port: 0,
      webhookSecret: WEBHOOK_SECRET,
      webhookRetry: { initialDelayMs: 50, maxAttempts: 5 },
    });
    this.service = await startPaymentService(
      loadPaymentConfig(
        serviceTestEnv(this.db, this.kafka, {
          FEED_JWKS_URL: this.identity.feed.jwksUrl,
          STRIPE_SECRET_KEY: 'sk_test_payment',
          STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
          STRIPE_API_HOST: '127.0.0.1',
          STRIPE_API_PORT: String(this.standIn.port),
          STRIPE_API_PROTOCOL: 'http',
          ...(opts.publicPort ? { PUBLIC_BASE_URL: `http://127.0.0.1:${opts.publicPort}` } : {}),
        }),
      ),
      { port: opts.publicPort ?? 0 },
    );
    this.standIn.setWebhookUrl(`${this.service.url}/payment/api/stripe/webhook`);
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
    this.listener = await this.bus.subscribe({
      groupId: 'test-listener',
      topics: [...PAYMENT_TOPICS],
      handler: (m) => {
        this.emitted.push(m.envelope);
        return Promise.resolve();
      },
    });
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
    const key = (payload as { eventId: string }).eventId;
    return this.bus.publish([{ topic, key, envelope: envelope(topic, payload) }]);
  }

  /** Messages payment emitted of one type for one order, once at least `count` arrived. */
  async messages<T extends TopicName>(type: T, orderId: string, count = 1): Promise<Payload<T>[]> {
    const pick = () =>
      this.emitted
        .filter((e) => e.type === type && (e.payload as { orderId: string }).orderId === orderId)
        .map((e) => e.payload as Payload<T>);
    await eventually(() => pick().length >= count, {
      timeoutMs: 15_000,
      message: `waiting for ${type} of ${orderId}`,
    });
    return pick();
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
    await eventually(known, { message: 'event.published never reached payment' });
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
    this.standIn.setWebhookUrl(undefined);
    try {
      await this.standIn.pay(sessionId);
      await this.standIn.webhooksIdle();
    } finally {
      this.standIn.setWebhookUrl(`${this.service.url}/payment/api/stripe/webhook`);
    }
    const record = this.standIn
      .state()
      .events.find(
        (r) =>
          r.event.type === 'checkout.session.completed' &&
          (r.event.data.object as { id: string }).id === sessionId,
      );
    if (!record) throw new Error(`no checkout.session.completed for ${sessionId}`);
    return { id: record.event.id, body: JSON.stringify(record.event, null, 2) };
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

  /** Hold → checkout → pay with a good card → payment.authorized. */
  async authorizedOrder(opts: Parameters<PaymentHarness['holdOrder']>[0] = {}) {
    const order = await this.holdOrder(opts);
    const { sessionId } = await this.checkout(order.orderId, order.cookie);
    await this.standIn.pay(sessionId);
    const [authorized] = await this.messages('payment.authorized', order.orderId);
    return {
      ...order,
      sessionId,
      paymentIntentId: (authorized as Payload<'payment.authorized'>).paymentIntentId,
    };
  }

  async capturedOrder(opts: Parameters<PaymentHarness['holdOrder']>[0] = {}) {
    const order = await this.authorizedOrder(opts);
    await this.publish('order.completed', order.ref);
    await this.messages('payment.captured', order.orderId);
    return order;
  }
}

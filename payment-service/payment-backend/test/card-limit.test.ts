import { randomUUID } from 'node:crypto';
import { createLogger, envelope, KafkaBus, type RunningService } from '@ticketslave/common';
import { cardFingerprint, startStripeStandIn, type StripeStandIn } from '@ticketslave/dev/stripe';
import {
  createTestDatabase,
  createTestKafka,
  eventually,
  serviceTestEnv,
  startTestIdentity,
  testSigningKeys,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { loadPurchaseConfig } from '../../../purchase-service/purchase-backend/src/config';
import { startPurchaseService } from '../../../purchase-service/purchase-backend/src/start';
import { snapshot } from '../../../purchase-service/purchase-backend/test/harness';
import { loadPaymentConfig } from '../src/config';
import { startPaymentService } from '../src/start';
import { PATIENCE_MS, TEST_TIMEOUT_MS } from './payment-harness';

/**
 * The per-event limit by card (issue 17.8) through the real services: purchase and payment
 * on their own databases and one broker namespace, the Stripe stand-in posting signed
 * webhooks. A fan holds seats in purchase, opens the checkout in payment and pays on the
 * stand-in's page with a test card; the card's fingerprint travels with payment.authorized.
 */
const WEBHOOK_SECRET = 'whsec_card_limit';
const VISA = '4242424242424242';
const MASTERCARD = '5555555555554444';
const VISA_DEBIT = '4000056655665556';

let purchaseDb: TestDatabase;
let paymentDb: TestDatabase;
let kafka: TestKafka;
let identity: TestIdentity;
let standIn: StripeStandIn;
let purchase: RunningService;
let payment: RunningService;
let bus: KafkaBus;

beforeAll(async () => {
  [purchaseDb, paymentDb, kafka, identity] = await Promise.all([
    createTestDatabase('cardlimitpur'),
    createTestDatabase('cardlimitpay'),
    createTestKafka('cardlimit'),
    startTestIdentity(),
  ]);
  standIn = await startStripeStandIn({
    port: 0,
    webhookSecret: WEBHOOK_SECRET,
    webhookRetry: { initialDelayMs: 50, maxAttempts: 5 },
  });
  [purchase, payment] = await Promise.all([
    startPurchaseService(
      loadPurchaseConfig(
        serviceTestEnv('purchase', purchaseDb, kafka, {
          FEED_JWKS_URL: identity.feed.jwksUrl,
          QUEUE_JWKS_URL: identity.queue.jwksUrl,
          TICKET_SIGNING_JWKS: JSON.stringify(await testSigningKeys('card-limit-ticket')),
        }),
      ),
      { port: 0 },
    ),
    startPaymentService(
      loadPaymentConfig(
        serviceTestEnv('payment', paymentDb, kafka, {
          FEED_JWKS_URL: identity.feed.jwksUrl,
          STRIPE_SECRET_KEY: 'sk_test_card_limit',
          STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
          STRIPE_API_HOST: '127.0.0.1',
          STRIPE_API_PORT: String(standIn.port),
          STRIPE_API_PROTOCOL: 'http',
        }),
      ),
      { port: 0 },
    ),
  ]);
  await standIn.setWebhookUrl(`${payment.url}/payment/api/stripe/webhook`);
  bus = new KafkaBus({
    clientId: 'card-limit-test',
    brokers: kafka.brokers,
    logger: createLogger('card-limit-test', 'silent'),
    topicPrefix: kafka.prefix,
  });
  await bus.start();
}, 120_000);

afterAll(async () => {
  await bus?.stop();
  await payment?.stop();
  await purchase?.stop();
  await standIn?.stop();
  await identity?.stop();
  await kafka?.cleanup();
  await Promise.all([purchaseDb?.drop(), paymentDb?.drop()]);
});

/** Feed publishes an event allowing `perUserLimit` tickets per fan; both services learn it. */
async function publishEvent(perUserLimit: number): Promise<string> {
  const snap = snapshot({ perUserLimit });
  await bus.publish([{ topic: 'event.published', envelope: envelope('event.published', snap) }]);
  const known = (svc: RunningService) => async () =>
    (await svc.kit.ds.query('SELECT 1 FROM events WHERE event_id = $1', [snap.eventId])).length > 0;
  await eventually(known(purchase), { timeoutMs: PATIENCE_MS, message: 'event never reached purchase' });
  await eventually(known(payment), { timeoutMs: PATIENCE_MS, message: 'event never reached payment' });
  return snap.eventId;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

interface Checkout {
  orderId: string;
  session: string;
  sessionId: string;
}

/** An account (its own inbox) holds `quantity` standing tickets and opens payment's checkout. */
async function holdAndCheckout(eventId: string, quantity: number): Promise<Checkout> {
  const user = `fan-${randomUUID().slice(0, 8)}`;
  const session = await identity.sessionCookie({ id: user, email: `${user}@inbox-${user}.test` });
  const cookie = `${session}; ${await identity.admissionCookie(user, eventId, randomUUID())}`;
  const hold = await fetch(`${purchase.url}/purchase/api/events/${eventId}/holds`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ categoryId: 'standing', quantity }),
  });
  const order = await json(hold);
  expect(hold.status).toBe(201);
  const orderId = order.orderId as string;
  // payment learns of the order through order.created; the checkout route waits for it.
  const url = await eventually(
    async () => {
      const res = await fetch(`${payment.url}/payment/api/orders/${orderId}/checkout`, {
        method: 'POST',
        headers: { cookie: session },
      });
      return res.status === 200 ? ((await json(res)).url as string) : undefined;
    },
    { timeoutMs: PATIENCE_MS, message: 'checkout never opened' },
  );
  return { orderId, session, sessionId: url.split('/').pop()! };
}

const purchaseOrder = async (orderId: string) =>
  (
    await purchase.kit.ds.query<{ status: string; reason: string | null; card_fingerprint: string | null }[]>(
      'SELECT status, reason, card_fingerprint FROM orders WHERE order_id = $1',
      [orderId],
    )
  )[0]!;

const paymentRow = async (orderId: string) =>
  (
    await payment.kit.ds.query<{ status: string; reason: string | null; payment_intent_id: string }[]>(
      'SELECT status, reason, payment_intent_id FROM payments WHERE order_id = $1',
      [orderId],
    )
  )[0];

/** Waits until payment settled the order's authorization: captured, or voided. */
async function settled(
  orderId: string,
): Promise<{ status: string; reason: string | null; payment_intent_id: string }> {
  return eventually(
    async () => {
      const row = await paymentRow(orderId);
      return row && row.status !== 'authorized' ? row : undefined;
    },
    { timeoutMs: PATIENCE_MS, message: `payment of ${orderId} never settled` },
  );
}

const intentStatus = async (id: string) => (await standIn.state()).paymentIntents[id]!.status;

describe('the per-event limit by payment card (issue 17.8)', () => {
  it(
    'when a second account pays with a card that already bought the limit, voids the authorization and tells the fan why; another card passes',
    async () => {
      const eventId = await publishEvent(2);
      const first = await holdAndCheckout(eventId, 2);
      await standIn.pay(first.sessionId, VISA);
      expect(await settled(first.orderId)).toMatchObject({ status: 'captured' });
      await eventually(async () => (await purchaseOrder(first.orderId)).status === 'paid', {
        timeoutMs: PATIENCE_MS,
      });
      expect((await purchaseOrder(first.orderId)).card_fingerprint).toBe(cardFingerprint(VISA));

      // Another account (another inbox, so another person) with the same card: over the limit.
      const second = await holdAndCheckout(eventId, 1);
      await standIn.pay(second.sessionId, VISA);
      const voided = await settled(second.orderId);
      expect(voided).toMatchObject({ status: 'voided', reason: 'card_limit_exceeded' });
      expect(await intentStatus(voided.payment_intent_id)).toBe('canceled');
      expect(await purchaseOrder(second.orderId)).toMatchObject({
        status: 'cancelled',
        reason: 'card_limit_exceeded',
      });

      // The payment page's answer says why…
      const view = await json(
        await fetch(`${payment.url}/payment/api/orders/${second.orderId}`, {
          headers: { cookie: second.session },
        }),
      );
      expect(view).toMatchObject({ status: 'voided', reason: 'card_limit_exceeded' });
      expect(view.reasonText).toMatch(
        /already bought this event’s ticket limit per fan.*nothing was charged/,
      );
      // …so does trying to pay for the order again (problem+json)…
      const again = await fetch(`${payment.url}/payment/api/orders/${second.orderId}/checkout`, {
        method: 'POST',
        headers: { cookie: second.session },
      });
      expect(again.status).toBe(409);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      const problem = await json(again);
      expect(problem.type).toMatch(/card_limit_exceeded$/);
      expect(problem.detail).toMatch(/ticket limit per fan/);
      // …and the fan's order in purchase.
      const order = await json(
        await fetch(`${purchase.url}/purchase/api/orders/${second.orderId}`, {
          headers: { cookie: second.session },
        }),
      );
      expect(order).toMatchObject({ status: 'cancelled', reason: 'card_limit_exceeded' });

      // Another card is another card: it buys.
      const third = await holdAndCheckout(eventId, 2);
      await standIn.pay(third.sessionId, MASTERCARD);
      expect(await settled(third.orderId)).toMatchObject({ status: 'captured' });
      expect(cardFingerprint(MASTERCARD)).not.toBe(cardFingerprint(VISA));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'when two accounts pay with one card at the same moment, only one of them gets the seats; the other is voided',
    async () => {
      const eventId = await publishEvent(2);
      const [a, b] = await Promise.all([holdAndCheckout(eventId, 2), holdAndCheckout(eventId, 2)]);
      await Promise.all([standIn.pay(a.sessionId, VISA_DEBIT), standIn.pay(b.sessionId, VISA_DEBIT)]);
      const outcomes = await Promise.all([settled(a.orderId), settled(b.orderId)]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['captured', 'voided']);
      const loser = outcomes.find((o) => o.status === 'voided')!;
      expect(loser.reason).toBe('card_limit_exceeded');
      expect(await intentStatus(loser.payment_intent_id)).toBe('canceled');
      const sold = await purchase.kit.ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM units WHERE event_id = $1 AND status = 'sold'`,
        [eventId],
      );
      expect(sold[0]!.n).toBe(2);
    },
    TEST_TIMEOUT_MS,
  );
});

import { randomUUID } from 'node:crypto';
import { envelope, queryOne, queryRows, type OutgoingMessage } from '@ticketslave/common';
import {
  PaymentRepository,
  type AuthorizationInput,
  type AuthorizedOrder,
} from '../src/data/payment-repository';
import { PATIENCE_MS, PaymentHarness, TEST_TIMEOUT_MS } from './payment-harness';

/**
 * The money path's writes in two round trips (issue 21): `authorize_payment` and
 * `record_session_completed` (src/data/sql/authorize.sql) and the status-checked settle,
 * each branch against the real database, with the outbox message written in the same
 * transaction and relayed to Kafka.
 */
const h = new PaymentHarness();
jest.setTimeout(TEST_TIMEOUT_MS);
beforeAll(() => h.start('payauth'), 2 * PATIENCE_MS);
afterAll(() => h.stop());

const repo = () => new PaymentRepository(h.service.kit.ds, h.service.kit.wakeOutbox);

const announce =
  (orderId: string, intentId: string) =>
  (o: AuthorizedOrder): OutgoingMessage => ({
    topic: 'payment.authorized',
    envelope: envelope('payment.authorized', {
      orderId,
      eventId: o.eventId,
      paymentIntentId: intentId,
      amountMinor: o.amountMinor,
      currency: o.currency,
    }),
  });

const authorization = (
  orderId: string,
  over: Partial<AuthorizationInput> & { intentId?: string; amountMinor?: number; status?: string } = {},
): AuthorizationInput => ({
  stripeEventId: over.stripeEventId ?? `evt_${randomUUID()}`,
  type: 'charge.succeeded',
  orderId,
  sessionId: over.sessionId,
  buyerName: over.buyerName,
  intent: {
    id: over.intentId ?? `pi_${randomUUID()}`,
    status: over.status ?? 'requires_capture',
    amountMinor: over.amountMinor ?? 9000,
    currency: 'EUR',
  },
});

const paymentOf = (orderId: string) =>
  queryOne<{ payment_intent_id: string; status: string; buyer_name: string | null }>(
    h.service.kit.ds,
    `SELECT payment_intent_id, status, buyer_name FROM payments WHERE order_id = $1`,
    [orderId],
  );

const stripeEventKnown = async (id: string) =>
  (await queryRows(h.service.kit.ds, `SELECT 1 FROM stripe_events WHERE stripe_event_id = $1`, [id])).length >
  0;

describe('authorize_payment', () => {
  it('records the first authorization of an order with its message, once; a second intent is stray, a redelivery a duplicate', async () => {
    const order = await h.holdOrder();
    const first = authorization(order.orderId, { buyerName: 'Ada Lovelace' });
    const intentId = first.intent!.id;

    const answer = await repo().authorize(first, announce(order.orderId, intentId));
    expect(answer).toEqual({
      outcome: 'authorized',
      eventId: order.eventId,
      amountMinor: 9000,
      currency: 'EUR',
    });
    expect(await paymentOf(order.orderId)).toEqual({
      payment_intent_id: intentId,
      status: 'authorized',
      buyer_name: 'Ada Lovelace',
    });
    const [message] = await h.messages('payment.authorized', order.orderId);
    expect(message).toMatchObject({ paymentIntentId: intentId, amountMinor: 9000, eventId: order.eventId });

    // The same Stripe event again, and another event of the same intent: nothing new.
    expect((await repo().authorize(first, announce(order.orderId, intentId))).outcome).toBe('duplicate');
    expect(
      (await repo().authorize(authorization(order.orderId, { intentId }), announce(order.orderId, intentId)))
        .outcome,
    ).toBe('duplicate');
    // Another intent for an order already paid for: stray (the caller cancels it at Stripe).
    const other = authorization(order.orderId);
    expect((await repo().authorize(other, announce(order.orderId, other.intent!.id))).outcome).toBe('stray');
    expect((await paymentOf(order.orderId))?.payment_intent_id).toBe(intentId);

    await new Promise((r) => setTimeout(r, 500));
    expect(h.countOf('payment.authorized', order.orderId)).toBe(1);
  });

  it('refuses an amount other than the order’s as stray, an intent not ready to capture and an unknown order as nothing, and writes no payment', async () => {
    const order = await h.holdOrder();
    const wrongAmount = authorization(order.orderId, { amountMinor: 100 });
    expect(await repo().authorize(wrongAmount, announce(order.orderId, wrongAmount.intent!.id))).toEqual({
      outcome: 'stray',
      amountMinor: 9000,
      currency: 'EUR',
    });
    const unpaid = authorization(order.orderId, { status: 'requires_payment_method' });
    expect((await repo().authorize(unpaid, announce(order.orderId, unpaid.intent!.id))).outcome).toBe(
      'not_authorized',
    );
    const unknownOrder = randomUUID();
    const stranger = authorization(unknownOrder);
    expect((await repo().authorize(stranger, announce(unknownOrder, stranger.intent!.id))).outcome).toBe(
      'no_order',
    );
    expect(await paymentOf(order.orderId)).toBeUndefined();
    // Each was remembered as processed: a redelivery is a duplicate.
    expect(await stripeEventKnown(unpaid.stripeEventId)).toBe(true);
    expect((await repo().authorize(unpaid, announce(order.orderId, unpaid.intent!.id))).outcome).toBe(
      'duplicate',
    );
    expect(h.countOf('payment.authorized', order.orderId)).toBe(0);
  });
});

describe("a checkout's later events", () => {
  it('closes the session and keeps the name when the authorization is recorded; writes nothing when it is not', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    const intentId = `pi_${randomUUID()}`;
    const completed = {
      stripeEventId: `evt_${randomUUID()}`,
      type: 'checkout.session.completed',
      sessionId,
      orderId: order.orderId,
      paymentIntentId: intentId,
      buyerName: 'Grace Hopper',
    };
    // Not authorized yet: the caller authorizes from the event, which must still be new.
    expect(await repo().recordSessionCompleted(completed)).toBe(false);
    expect(await stripeEventKnown(completed.stripeEventId)).toBe(false);

    await repo().authorize(authorization(order.orderId, { intentId }), announce(order.orderId, intentId));
    expect(await repo().recordSessionCompleted(completed)).toBe(true);
    expect(await stripeEventKnown(completed.stripeEventId)).toBe(true);
    const session = await queryOne<{ status: string; url: string | null }>(
      h.service.kit.ds,
      `SELECT status, url FROM checkout_sessions WHERE session_id = $1`,
      [sessionId],
    );
    expect(session).toEqual({ status: 'complete', url: null });
    expect((await paymentOf(order.orderId))?.buyer_name).toBe('Grace Hopper');
    // Another intent's completion is not this payment's.
    expect(
      await repo().recordSessionCompleted({
        ...completed,
        stripeEventId: `evt_${randomUUID()}`,
        paymentIntentId: 'pi_other',
      }),
    ).toBe(false);
  });

  it('closes an expired session once, however often Stripe tells', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    const id = `evt_${randomUUID()}`;
    await repo().recordSessionExpired(id, 'checkout.session.expired', sessionId);
    await repo().recordSessionExpired(id, 'checkout.session.expired', sessionId);
    const session = await queryOne<{ status: string }>(
      h.service.kit.ds,
      `SELECT status FROM checkout_sessions WHERE session_id = $1`,
      [sessionId],
    );
    expect(session?.status).toBe('expired');
    expect(await stripeEventKnown(id)).toBe(true);
  });
});

describe('settle', () => {
  it('moves an authorized payment once and writes its message with it; a second settle moves nothing', async () => {
    const order = await h.holdOrder();
    const intentId = `pi_${randomUUID()}`;
    await repo().authorize(authorization(order.orderId, { intentId }), announce(order.orderId, intentId));
    const voided = (moved: { orderId: string; eventId: string; amountMinor: number; currency: string }) => ({
      topic: 'payment.voided' as const,
      envelope: envelope('payment.voided', {
        orderId: moved.orderId,
        eventId: moved.eventId,
        paymentIntentId: intentId,
        amountMinor: moved.amountMinor,
        currency: moved.currency,
        reason: 'seats_gone',
      }),
    });
    const [first, second] = await Promise.all([
      repo().settle(order.orderId, 'voided', 'seats_gone', voided),
      repo().settle(order.orderId, 'captured', undefined, voided),
    ]);
    // Exactly one of two racing settles moved it.
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const status = (await paymentOf(order.orderId))?.status;
    expect(status === 'voided' ? first : second).toMatchObject({ orderId: order.orderId, status });
    expect(await repo().settle(order.orderId, 'failed', 'x', voided)).toBeUndefined();
    await h.messages('payment.voided', order.orderId);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.countOf('payment.voided', order.orderId)).toBe(1);
  });
});

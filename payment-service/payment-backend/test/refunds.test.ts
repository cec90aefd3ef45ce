import { randomUUID } from 'node:crypto';
import { queryRows } from '@ticketslave/common';
import { sleep } from '@ticketslave/dev/test-support';
import { PaymentHarness, TEST_TIMEOUT_MS } from './payment-harness';

const h = new PaymentHarness();
beforeAll(() => h.start('payrefund'), 60_000);
afterAll(() => h.stop());

describe('event.cancelled', () => {
  it('refunds every captured payment of the event and voids uncaptured ones, once each', async () => {
    const eventId = randomUUID();
    const paid = await h.capturedOrder({ eventId });
    const onlyAuthorized = await h.authorizedOrder({ eventId });
    const otherEvent = await h.capturedOrder();

    await h.publish('event.cancelled', { eventId, reason: 'artist ill' });
    const [refunded] = await h.messages('payment.refunded', paid.orderId);
    expect(refunded).toMatchObject({
      paymentIntentId: paid.paymentIntentId,
      amountMinor: 9000,
      refundMinor: 9000,
      source: 'event_cancelled',
      reason: 'event_cancelled',
    });
    await h.messages('payment.voided', onlyAuthorized.orderId);
    expect((await h.stripe.refunds.list({ payment_intent: paid.paymentIntentId })).data).toHaveLength(1);

    // Delivered twice (at least once delivery): no second refund.
    await h.publish('event.cancelled', { eventId, reason: 'artist ill' });
    await sleep(1500);
    expect(h.countOf('payment.refunded', paid.orderId)).toBe(1);
    expect((await h.stripe.refunds.list({ payment_intent: paid.paymentIntentId })).data).toHaveLength(1);
    expect(h.countOf('payment.refunded', otherEvent.orderId)).toBe(0);
  });
});

/** What payment recorded for an order: its payment row and its refunds. */
async function recorded(orderId: string) {
  const [payment] = await queryRows<{ status: string; refunded_minor: number; buyer_name: string | null }>(
    h.service.kit.ds,
    `SELECT status, refunded_minor, buyer_name FROM payments WHERE order_id = $1`,
    [orderId],
  );
  const refunds = await queryRows<{ source: string; status: string; amount_minor: number }>(
    h.service.kit.ds,
    `SELECT source, status, amount_minor FROM refunds WHERE order_id = $1 ORDER BY created_at`,
    [orderId],
  );
  return { payment, refunds };
}

/** Delivers a past webhook of the payment again (Stripe redelivers at will). */
async function redeliver(type: string, paymentIntentId: string) {
  const record = (await h.standIn.state()).events
    .filter(
      (r) =>
        r.event.type === type &&
        (r.event.data.object as { payment_intent?: string }).payment_intent === paymentIntentId,
    )
    .at(-1);
  if (!record) throw new Error(`no ${type} for ${paymentIntentId}`);
  await h.standIn.replayEvent(record.event.id);
}

describe('refund.requested (an organiser refunds in purchase)', () => {
  it(
    'refunds part of a captured payment once per refund id, then the rest; refunded once all of it went back',
    async () => {
      const order = await h.capturedOrder({ cardholderName: 'Ada Lovelace' });
      const ask = (refundId: string, amountMinor: number) =>
        h.publish('refund.requested', {
          refundId,
          orderId: order.orderId,
          eventId: order.eventId,
          amountMinor,
          currency: 'EUR',
          reason: 'seat B7 is broken',
        });
      const first = randomUUID();
      await ask(first, 3000);
      await ask(first, 3000);
      const [refunded] = await h.messages('payment.refunded', order.orderId);
      expect(refunded).toMatchObject({
        refundId: first,
        refundMinor: 3000,
        source: 'organiser',
        amountMinor: 9000,
      });
      const atStripe = (await h.stripe.refunds.list({ payment_intent: order.paymentIntentId })).data;
      expect(atStripe.map((r) => [r.amount, r.metadata?.refundId])).toEqual([[3000, first]]);
      // Stripe's charge.refunded about our own refund (and its redelivery) is not taken for a dashboard refund.
      await h.standIn.webhooksIdle();
      await redeliver('charge.refunded', order.paymentIntentId);
      await sleep(1000);
      expect(h.countOf('payment.refunded', order.orderId)).toBe(1);
      expect(await recorded(order.orderId)).toMatchObject({
        payment: { status: 'captured', refunded_minor: 3000, buyer_name: 'Ada Lovelace' },
        refunds: [{ source: 'organiser', status: 'succeeded', amount_minor: 3000 }],
      });

      await ask(randomUUID(), 6000);
      await h.messages('payment.refunded', order.orderId, 2);
      expect((await recorded(order.orderId)).payment).toMatchObject({
        status: 'refunded',
        refunded_minor: 9000,
      });
    },
    TEST_TIMEOUT_MS,
  );

  it('when more than what is left is asked, answers payment.refund_failed and refunds nothing', async () => {
    const order = await h.capturedOrder();
    const refundId = randomUUID();
    await h.publish('refund.requested', {
      refundId,
      orderId: order.orderId,
      eventId: order.eventId,
      amountMinor: 9001,
      currency: 'EUR',
      reason: 'too much',
    });
    const [failed] = await h.messages('payment.refund_failed', order.orderId);
    expect(failed).toMatchObject({ refundId, reason: expect.stringMatching(/left to refund/) });
    expect((await h.stripe.refunds.list({ payment_intent: order.paymentIntentId })).data).toEqual([]);
    expect(h.countOf('payment.refunded', order.orderId)).toBe(0);
  });
});

describe('refunds and disputes that happen at Stripe (issue 17.9)', () => {
  it("announces a refund made in Stripe's dashboard once, as source stripe, however often Stripe tells", async () => {
    const order = await h.capturedOrder();
    await h.standIn.refundFromDashboard(order.paymentIntentId, 2500);
    const [refunded] = await h.messages('payment.refunded', order.orderId);
    expect(refunded).toMatchObject({ source: 'stripe', refundMinor: 2500, amountMinor: 9000 });
    await h.standIn.webhooksIdle();
    await redeliver('charge.refunded', order.paymentIntentId);
    await sleep(1000);
    expect(h.countOf('payment.refunded', order.orderId)).toBe(1);
    expect(await recorded(order.orderId)).toMatchObject({
      payment: { status: 'captured', refunded_minor: 2500 },
      refunds: [{ source: 'stripe', status: 'succeeded', amount_minor: 2500 }],
    });
  });

  it('announces a dispute (chargeback) once as payment.disputed', async () => {
    const order = await h.capturedOrder();
    await h.standIn.dispute(order.paymentIntentId, { reason: 'fraudulent' });
    const [disputed] = await h.messages('payment.disputed', order.orderId);
    expect(disputed).toMatchObject({
      disputedMinor: 9000,
      reason: 'fraudulent',
      paymentIntentId: order.paymentIntentId,
    });
    await h.standIn.webhooksIdle();
    const record = (await h.standIn.state()).events.find(
      (r) =>
        r.event.type === 'charge.dispute.created' &&
        (r.event.data.object as { payment_intent: string }).payment_intent === order.paymentIntentId,
    )!;
    await h.standIn.replayEvent(record.event.id);
    await sleep(1000);
    expect(h.countOf('payment.disputed', order.orderId)).toBe(1);
  });

  it('when paid with the test card that gets disputed, the dispute follows the capture', async () => {
    const order = await h.capturedOrder({ card: '4000000000000259' });
    const [disputed] = await h.messages('payment.disputed', order.orderId);
    expect(disputed).toMatchObject({ disputedMinor: 9000, reason: 'fraudulent' });
  });
});

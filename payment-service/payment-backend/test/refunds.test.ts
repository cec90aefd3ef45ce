import { randomUUID } from 'node:crypto';
import type { EventSnapshot } from '@ticketslave/common';
import { sleep } from '@ticketslave/dev/test-support';
import { PaymentHarness } from './payment-harness';

const h = new PaymentHarness();
beforeAll(() => h.start('payrefund'), 60_000);
afterAll(() => h.stop());

function snapshot(eventId: string, organiserId: string): EventSnapshot {
  return {
    eventId,
    version: 1,
    organiserId,
    status: 'on_sale',
    title: 'Night Owls Live',
    artist: 'Night Owls',
    description: '',
    venue: 'Arena',
    city: 'Lyon',
    startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
    saleStartsAt: new Date().toISOString(),
    bufferGraceSeconds: 60,
    queue: { admitRatePerMinute: 100, maxActiveShoppers: 100, awayGraceSeconds: 60 },
    holdSeconds: 600,
    perUserLimit: 4,
    posterUrl: null,
    categories: [
      { id: 'ga', name: 'Standing', kind: 'ga', capacity: 100, priceMinor: 4500, currency: 'EUR' },
    ],
  };
}

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

describe('POST /payment/api/orders/:id/refund', () => {
  it("lets the event's organiser refund one order, keeping the seats off sale when asked", async () => {
    const eventId = randomUUID();
    await h.publishEvent(snapshot(eventId, 'org-1'));
    const order = await h.capturedOrder({ eventId });
    // The line item is named from the snapshot, which also tells payment who the organiser is.
    const session = await h.stripe.checkout.sessions.retrieve(order.sessionId, { expand: ['line_items'] });
    expect(session.line_items?.data[0]?.description).toBe('Tickets for Night Owls Live');
    const post = (cookie: string, body: unknown) =>
      h.fetch(`/payment/api/orders/${order.orderId}/refund`, {
        method: 'POST',
        cookie,
        body: JSON.stringify(body),
      });
    const organiser = await h.identity.sessionCookie({ id: 'org-1', role: 'organiser' });

    expect((await post(order.cookie, { releaseSeats: true })).status).toBe(403);
    expect(
      (await post(await h.identity.sessionCookie({ id: 'org-2', role: 'organiser' }), { releaseSeats: true }))
        .status,
    ).toBe(403);
    const bad = await post(organiser, { releaseSeats: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(h.countOf('payment.refunded', order.orderId)).toBe(0);

    const ok = await post(organiser, { releaseSeats: false });
    expect(ok.status).toBe(200);
    const [refunded] = await h.messages('payment.refunded', order.orderId);
    expect(refunded).toMatchObject({ paymentIntentId: order.paymentIntentId, reason: 'keep_seats' });
    expect((await h.stripe.refunds.list({ payment_intent: order.paymentIntentId })).data).toHaveLength(1);

    // Asking again is harmless: still one refund at Stripe, one message.
    expect((await post(organiser, { releaseSeats: false })).status).toBe(200);
    await sleep(1000);
    expect(h.countOf('payment.refunded', order.orderId)).toBe(1);
  });

  it('answers 409 for an order that was only authorized', async () => {
    const eventId = randomUUID();
    await h.publishEvent(snapshot(eventId, 'org-3'));
    const order = await h.authorizedOrder({ eventId });
    const admin = await h.identity.sessionCookie({ id: 'admin-1', role: 'admin' });
    const res = await h.fetch(`/payment/api/orders/${order.orderId}/refund`, {
      method: 'POST',
      cookie: admin,
      body: JSON.stringify({ releaseSeats: true }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { type: string }).type).toMatch(/not_refundable$/);
  });
});

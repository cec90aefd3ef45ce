import { randomUUID } from 'node:crypto';
import { queryRows } from '@ticketslave/common';
import { cardFingerprint, signatureHeader } from '@ticketslave/dev/stripe';
import { eventually, sleep } from '@ticketslave/dev/test-support';
import { PaymentHarness, WEBHOOK_SECRET } from './payment-harness';

const VISA = '4242424242424242';
const h = new PaymentHarness();
beforeAll(() => h.start('paycheckout'), 60_000);
afterAll(() => h.stop());

const webhook = (body: string, signature?: string) =>
  h.fetch('/payment/api/stripe/webhook', {
    method: 'POST',
    body,
    headers: signature ? { 'stripe-signature': signature } : {},
  });

describe('the fan pays for a held order', () => {
  it('authorizes through Checkout with manual capture, then captures once purchase completes the order', async () => {
    const order = await h.holdOrder({ amountMinor: 9250 });
    expect(await h.status(order.orderId, order.cookie)).toBe('pending');

    const { url, sessionId } = await h.checkout(order.orderId, order.cookie);
    expect(url).toBe(`${h.standIn.url}/pay/${sessionId}`);
    const session = await h.stripe.checkout.sessions.retrieve(sessionId, { expand: ['line_items'] });
    expect(session).toMatchObject({
      amount_total: 9250,
      currency: 'eur',
      metadata: { orderId: order.orderId, eventId: order.eventId },
      success_url: `http://localhost:8080/payment/?order=${order.orderId}&result=success`,
      cancel_url: `http://localhost:8080/payment/?order=${order.orderId}&result=cancelled`,
    });
    // A 10-minute hold is below Stripe's 30-minute minimum: the session keeps Stripe's default.
    expect(session.expires_at - session.created).toBeGreaterThan(23 * 3600);

    await h.standIn.pay(sessionId);
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    expect(authorized).toMatchObject({
      orderId: order.orderId,
      eventId: order.eventId,
      amountMinor: 9250,
      currency: 'EUR',
    });
    const pi = await h.stripe.paymentIntents.retrieve(authorized!.paymentIntentId);
    expect(pi.status).toBe('requires_capture');
    expect(await h.status(order.orderId, order.cookie)).toBe('authorized');

    await h.publish('order.completed', order.ref);
    const [captured] = await h.messages('payment.captured', order.orderId);
    expect(captured).toMatchObject({ paymentIntentId: pi.id, amountMinor: 9250 });
    expect((await h.stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded');
    expect(await h.status(order.orderId, order.cookie)).toBe('captured');

    // The same completion delivered again neither captures nor announces twice.
    await h.publish('order.completed', order.ref);
    await sleep(1500);
    expect(h.countOf('payment.captured', order.orderId)).toBe(1);
  });

  it('ends the Checkout Session with the hold when the hold is long enough for Stripe', async () => {
    const order = await h.holdOrder({ holdSeconds: 3600 });
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    const session = await h.stripe.checkout.sessions.retrieve(sessionId);
    const res = await h.fetch(`/payment/api/orders/${order.orderId}`, { cookie: order.cookie });
    const { expiresAt } = (await res.json()) as { expiresAt: string };
    expect(session.expires_at).toBe(Math.floor(new Date(expiresAt).getTime() / 1000));
  });

  it('when Stripe delivers checkout.session.completed again, emits payment.authorized once', async () => {
    const order = await h.authorizedOrder();
    const completed = await h.stripeEvent('checkout.session.completed', order.sessionId);
    await h.standIn.replayEvent(completed.event.id);
    await h.standIn.replayEvent(completed.event.id);
    await sleep(1500);
    expect(h.countOf('payment.authorized', order.orderId)).toBe(1);
  });

  it("when only the payment intent's authorization reaches payment, announces it; the checkout's completion later changes nothing", async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    await h.payWithoutWebhooks(sessionId);
    // The intent's event alone carries the authorization (no charge.succeeded, no checkout.session.completed
    // yet); its intent names the charge only, so the card's fingerprint is asked of Stripe.
    await h.standIn.replayEvent(
      (await h.stripeEvent('payment_intent.amount_capturable_updated', sessionId)).event.id,
    );
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    expect(authorized).toMatchObject({
      orderId: order.orderId,
      amountMinor: order.ref.amountMinor,
      cardFingerprint: cardFingerprint(VISA),
    });
    expect(await h.status(order.orderId, order.cookie)).toBe('authorized');

    await h.standIn.replayEvent((await h.stripeEvent('checkout.session.completed', sessionId)).event.id);
    await eventually(async () => {
      const rows = await queryRows<{ status: string }>(
        h.service.kit.ds,
        'SELECT status FROM checkout_sessions WHERE session_id = $1',
        [sessionId],
      );
      return rows[0]?.status === 'complete';
    });
    await sleep(1500);
    expect(h.countOf('payment.authorized', order.orderId)).toBe(1);
  });

  it("authorizes when the fan returns from paying, before any of Stripe's webhooks arrive; the webhooks after it authorize nothing again", async () => {
    const order = await h.holdOrder({ amountMinor: 7300 });
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    // Before paying: nothing to confirm, and the answer says so.
    const early = await h.fetch(`/payment/api/orders/${order.orderId}/returned`, {
      method: 'POST',
      cookie: order.cookie,
    });
    expect(((await early.json()) as { status: string }).status).toBe('pending');
    expect(h.countOf('payment.authorized', order.orderId)).toBe(0);

    await h.payWithoutWebhooks(sessionId);
    // Someone else's session cannot confirm it.
    const stranger = await h.fetch(`/payment/api/orders/${order.orderId}/returned`, {
      method: 'POST',
      cookie: (await h.holdOrder()).cookie,
    });
    expect(stranger.status).toBe(403);
    expect(await h.status(order.orderId, order.cookie)).toBe('pending');

    const back = await h.fetch(`/payment/api/orders/${order.orderId}/returned`, {
      method: 'POST',
      cookie: order.cookie,
    });
    expect(back.status).toBe(200);
    expect(((await back.json()) as { status: string }).status).toBe('authorized');
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    expect(authorized).toMatchObject({
      orderId: order.orderId,
      amountMinor: 7300,
      cardFingerprint: cardFingerprint(VISA),
    });
    const sessions = await queryRows<{ status: string }>(
      h.service.kit.ds,
      'SELECT status FROM checkout_sessions WHERE session_id = $1',
      [sessionId],
    );
    expect(sessions).toEqual([{ status: 'complete' }]);

    // Stripe's webhooks come late, every one of them; and the fan reloads the return page.
    for (const type of [
      'charge.succeeded',
      'payment_intent.amount_capturable_updated',
      'checkout.session.completed',
    ])
      await h.standIn.replayEvent((await h.stripeEvent(type, sessionId)).event.id);
    await h.fetch(`/payment/api/orders/${order.orderId}/returned`, { method: 'POST', cookie: order.cookie });
    await sleep(1500);
    expect(h.countOf('payment.authorized', order.orderId)).toBe(1);
    expect(await h.status(order.orderId, order.cookie)).toBe('authorized');
  });

  it("when the card's charge.succeeded arrives, authorizes from it with the card's fingerprint without asking Stripe for the intent", async () => {
    const order = await h.holdOrder({ amountMinor: 6100 });
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    await h.payWithoutWebhooks(sessionId);
    // The charge's event alone: nothing else of the checkout has reached payment.
    await h.standIn.replayEvent((await h.stripeEvent('charge.succeeded', sessionId)).event.id);
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    expect(authorized).toMatchObject({
      orderId: order.orderId,
      eventId: order.eventId,
      amountMinor: 6100,
      currency: 'EUR',
      cardFingerprint: cardFingerprint(VISA),
    });
    const intent = (await h.standIn.state()).sessions[sessionId]!.session.payment_intent;
    expect(authorized!.paymentIntentId).toBe(intent);
    expect(await h.intentLookups(authorized!.paymentIntentId)).toBe(0);
    expect(await h.status(order.orderId, order.cookie)).toBe('authorized');
  });

  it("when charge.succeeded authorized the order, the intent's and the checkout's events after it ask Stripe nothing and authorize nothing again", async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    // As Stripe sends them: charge.succeeded, payment_intent.amount_capturable_updated, checkout.session.completed.
    await h.standIn.pay(sessionId);
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    await h.standIn.webhooksIdle();
    const delivered = await Promise.all(
      ['charge.succeeded', 'payment_intent.amount_capturable_updated', 'checkout.session.completed'].map(
        (type) => h.stripeEvent(type, sessionId),
      ),
    );
    expect(delivered.map((r) => r.delivery.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(await h.intentLookups(authorized!.paymentIntentId)).toBe(0);
    // Each was handled and remembered (a redelivery is known), the checkout closed.
    const recorded = await queryRows<{ stripe_event_id: string }>(
      h.service.kit.ds,
      'SELECT stripe_event_id FROM stripe_events WHERE stripe_event_id = ANY($1::text[])',
      [delivered.map((r) => r.event.id)],
    );
    expect(recorded).toHaveLength(3);
    const session = await queryRows<{ status: string }>(
      h.service.kit.ds,
      'SELECT status FROM checkout_sessions WHERE session_id = $1',
      [sessionId],
    );
    expect(session[0]?.status).toBe('complete');
    await sleep(500);
    expect(h.countOf('payment.authorized', order.orderId)).toBe(1);
  });

  it('refuses a forged or stale webhook with 400 and changes nothing; the genuine one then authorizes', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    const { body } = await h.payWithoutWebhooks(sessionId);
    const now = Math.floor(Date.now() / 1000);

    for (const signature of [
      undefined,
      signatureHeader(body, 'whsec_not_the_secret', now),
      signatureHeader(body, WEBHOOK_SECRET, now - 600),
      signatureHeader(body.replace('"livemode": false', '"livemode": true'), WEBHOOK_SECRET, now),
    ]) {
      const res = await webhook(body, signature);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { type: string }).type).toMatch(/bad_signature$/);
    }
    expect(await h.status(order.orderId, order.cookie)).toBe('pending');

    const ok = await webhook(body, signatureHeader(body, WEBHOOK_SECRET, now));
    expect(ok.status).toBe(200);
    expect(await h.status(order.orderId, order.cookie)).toBe('authorized');
    await h.messages('payment.authorized', order.orderId);
  });

  it('after a declined card the same session stays open; after it expires a retry opens attempt 2', async () => {
    const order = await h.holdOrder();
    const first = await h.checkout(order.orderId, order.cookie);
    await expect(h.standIn.pay(first.sessionId, '4000000000000002')).rejects.toThrow(/declined/);
    expect(await h.status(order.orderId, order.cookie)).toBe('pending');
    expect((await h.checkout(order.orderId, order.cookie)).sessionId).toBe(first.sessionId);

    // The fan walks away and Stripe expires the session; coming back opens a new one.
    await h.stripe.checkout.sessions.expire(first.sessionId);
    await eventually(async () => {
      const res = await h.fetch(`/payment/api/orders/${order.orderId}`, { cookie: order.cookie });
      return ((await res.json()) as { checkoutUrl: string | null }).checkoutUrl === null;
    });
    const second = await h.checkout(order.orderId, order.cookie);
    expect(second.sessionId).not.toBe(first.sessionId);

    await h.standIn.pay(second.sessionId);
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    const pi = await h.stripe.paymentIntents.retrieve(authorized!.paymentIntentId);
    expect(pi.metadata).toMatchObject({ orderId: order.orderId });
    expect((await h.standIn.state()).sessions[first.sessionId]?.session.status).toBe('expired');
  });

  it('when the fan double-clicks Pay, opens one Checkout Session and answers every click with it', async () => {
    const order = await h.holdOrder();
    const before = Object.keys((await h.standIn.state()).sessions).length;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        h.fetch(`/payment/api/orders/${order.orderId}/checkout`, { method: 'POST', cookie: order.cookie }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const urls = new Set(
      await Promise.all(answers.map(async (r) => ((await r.json()) as { url: string }).url)),
    );
    expect(urls.size).toBe(1);
    expect(Object.keys((await h.standIn.state()).sessions)).toHaveLength(before + 1);
  });

  it('refuses to open a checkout for a cancelled event', async () => {
    const order = await h.holdOrder();
    await h.publish('event.cancelled', { eventId: order.eventId, reason: 'venue flooded' });
    await eventually(async () => {
      const res = await h.fetch(`/payment/api/orders/${order.orderId}/checkout`, {
        method: 'POST',
        cookie: order.cookie,
      });
      return res.status === 409 && ((await res.json()) as { type: string }).type.endsWith('event_cancelled');
    });
  });

  it('opens checkout for an order posted the moment purchase created it, before order.created reached payment', async () => {
    const ref = {
      orderId: randomUUID(),
      eventId: randomUUID(),
      userId: `fan-${randomUUID().slice(0, 8)}`,
      admissionId: randomUUID(),
      amountMinor: 4200,
      currency: 'EUR',
    };
    const cookie = await h.identity.sessionCookie({ id: ref.userId });
    // The fan clicks "pay" while the message is still on its way: no 404 to retry, the answer waits for it.
    const [res] = await Promise.all([
      h.fetch(`/payment/api/orders/${ref.orderId}/checkout`, { method: 'POST', cookie }),
      sleep(300).then(() =>
        h.publish('order.created', { ...ref, expiresAt: new Date(Date.now() + 600_000).toISOString() }),
      ),
    ]);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toContain('/pay/');
  });

  it("answers 403 on someone else's order and 404 on an unknown one, 400 on a malformed id", async () => {
    const order = await h.holdOrder();
    const stranger = await h.identity.sessionCookie({ id: 'someone-else' });
    const sessionsBefore = Object.keys((await h.standIn.state()).sessions).length;
    const view = await h.fetch(`/payment/api/orders/${order.orderId}`, { cookie: stranger });
    expect(view.status).toBe(403);
    expect(
      (await h.fetch(`/payment/api/orders/${order.orderId}/checkout`, { method: 'POST', cookie: stranger }))
        .status,
    ).toBe(403);
    expect(
      (await h.fetch(`/payment/api/orders/00000000-0000-4000-8000-000000000000`, { cookie: stranger }))
        .status,
    ).toBe(404);
    const bad = await h.fetch(`/payment/api/orders/nope/checkout`, { method: 'POST', cookie: order.cookie });
    expect(bad.status).toBe(400);
    expect((await h.fetch(`/payment/api/orders/${order.orderId}`)).status).toBe(401);
    expect(Object.keys((await h.standIn.state()).sessions)).toHaveLength(sessionsBefore);
  });

  it('when the hold expires, closes the open Checkout Session and refuses a new one with 410', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    await h.publish('order.expired', order.ref);
    await eventually(async () => (await h.standIn.state()).sessions[sessionId]?.session.status === 'expired');
    expect(await h.status(order.orderId, order.cookie)).toBe('expired');
    const res = await h.fetch(`/payment/api/orders/${order.orderId}/checkout`, {
      method: 'POST',
      cookie: order.cookie,
    });
    expect(res.status).toBe(410);
    expect(((await res.json()) as { type: string }).type).toMatch(/hold_expired$/);
  });
});

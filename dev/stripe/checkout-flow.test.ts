import { cardFingerprint } from './cards';
import Stripe from 'stripe';
import { sessionParams, startHarness, submitCheckout, type Harness } from './test-kit';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function paidSession(): Promise<{ session: Stripe.Checkout.Session; piId: string }> {
  const session = await h.stripe.checkout.sessions.create(sessionParams());
  const result = await submitCheckout(session.url as string, {
    card_number: '4242 4242 4242 4242',
    action: 'pay',
  });
  expect(result.status).toBe(303);
  const completed = await h.stripe.checkout.sessions.retrieve(session.id);
  return { session: completed, piId: completed.payment_intent as string };
}

describe('manual-capture checkout through the hosted page', () => {
  it('creates an open session whose hosted page shows the amount and line items', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      payment_intent: null,
      amount_total: 9250,
      currency: 'eur',
      client_reference_id: 'order-1',
      metadata: { orderId: 'order-1' },
    });
    expect(session.id).toMatch(/^cs_test_/);
    expect(session.url).toBe(`${h.standIn.url}/pay/${session.id}`);

    const page = await fetch(session.url as string);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('€92.50');
    expect(html).toContain('Standing ticket × 2');
    expect(html).toMatch(/<label for="card_number">/);
    expect(html).toMatch(/<label for="expiry">/);
    expect(html).toMatch(/<label for="cvc">/);
  });

  it('when paid with 4242, redirects to success_url, sends a verified checkout.session.completed and leaves the intent to capture', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    const result = await submitCheckout(session.url as string, {
      card_number: '4242424242424242',
      action: 'pay',
    });
    expect(result.status).toBe(303);
    expect(result.location).toBe(`http://shop.test/purchase/done?session=${session.id}`);

    const completed = await h.receiver.waitForType('checkout.session.completed', session.id);
    const sent = completed.data.object as Stripe.Checkout.Session;
    expect(sent).toMatchObject({
      status: 'complete',
      payment_status: 'unpaid',
      metadata: { orderId: 'order-1' },
    });
    expect(sent.payment_intent).toMatch(/^pi_/);
    expect(completed.livemode).toBe(false);
    expect(completed.api_version).toBeTruthy();

    const retrieved = await h.stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    const pi = retrieved.payment_intent as Stripe.PaymentIntent;
    expect(pi).toMatchObject({
      id: sent.payment_intent,
      status: 'requires_capture',
      amount: 9250,
      amount_capturable: 9250,
      capture_method: 'manual',
      metadata: { orderId: 'order-1' },
    });
    // The charge names the card by its fingerprint, as Stripe's does (one per card number).
    const charge = await h.stripe.charges.retrieve(pi.latest_charge as string);
    expect(charge.payment_method_details?.card?.fingerprint).toBe(cardFingerprint('4242424242424242'));

    const captured = await h.stripe.paymentIntents.capture(pi.id);
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 9250, amount_capturable: 0 });
    const succeeded = await h.receiver.waitForType('payment_intent.succeeded', pi.id);
    expect((succeeded.data.object as Stripe.PaymentIntent).status).toBe('succeeded');
    expect(succeeded.request?.id).toMatch(/^req_/);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).payment_status).toBe('paid');
  });

  it('when the card is declined, shows the decline, keeps the session open and a later 4242 payment works', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    const declined = await submitCheckout(session.url as string, {
      card_number: '4000000000000002',
      action: 'pay',
    });
    expect(declined.status).toBe(402);
    expect(declined.html).toContain('Your card was declined.');
    expect(declined.html).toContain('name="card_number"');

    const failed = await h.receiver.waitForType('payment_intent.payment_failed');
    const failedPi = failed.data.object as Stripe.PaymentIntent;
    expect(failedPi.last_payment_error).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
    });
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');

    const paid = await submitCheckout(session.url as string, {
      card_number: '4242424242424242',
      action: 'pay',
    });
    expect(paid.status).toBe(303);
    const completed = await h.receiver.waitForType('checkout.session.completed', session.id);
    expect((completed.data.object as Stripe.Checkout.Session).payment_intent).toBe(failedPi.id);
    expect((await h.stripe.paymentIntents.retrieve(failedPi.id)).status).toBe('requires_capture');
  });

  it('when the buyer cancels, redirects to cancel_url and the session stays open', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    const result = await submitCheckout(session.url as string, { action: 'cancel' });
    expect(result).toMatchObject({ status: 303, location: 'http://shop.test/purchase/cancelled' });
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('open');
  });

  it('pay() completes a session like the hosted page and rejects a declined card', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await expect(h.standIn.pay(session.id, '4000000000009995')).rejects.toThrow('insufficient funds');
    await h.standIn.pay(session.id);
    expect((await h.stripe.checkout.sessions.retrieve(session.id)).status).toBe('complete');
  });
});

describe('POST /v1/payment_intents/:id/cancel', () => {
  it('releases an authorization, emits payment_intent.canceled and refuses a later capture', async () => {
    const { piId } = await paidSession();
    const canceled = await h.stripe.paymentIntents.cancel(piId, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({
      status: 'canceled',
      cancellation_reason: 'abandoned',
      amount_capturable: 0,
    });
    await h.receiver.waitForType('payment_intent.canceled', piId);

    const err = await h.stripe.paymentIntents.capture(piId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('refuses to cancel a captured intent', async () => {
    const { piId } = await paidSession();
    await h.stripe.paymentIntents.capture(piId);
    await expect(h.stripe.paymentIntents.cancel(piId)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });
});

describe('POST /v1/refunds', () => {
  it('refunds part of a captured payment, then refuses more than what is left', async () => {
    const { piId } = await paidSession();
    await h.stripe.paymentIntents.capture(piId);
    const refund = await h.stripe.refunds.create({ payment_intent: piId, amount: 4500 });
    expect(refund).toMatchObject({
      object: 'refund',
      amount: 4500,
      status: 'succeeded',
      payment_intent: piId,
    });
    expect(await h.stripe.refunds.retrieve(refund.id)).toEqual(refund);

    const refunded = await h.receiver.waitForType('charge.refunded');
    expect((refunded.data.object as Stripe.Charge).amount_refunded).toBe(4500);
    await h.receiver.waitForType('refund.created', refund.id);

    await expect(h.stripe.refunds.create({ payment_intent: piId, amount: 5000 })).rejects.toMatchObject({
      code: 'amount_too_large',
      param: 'amount',
    });
    const rest = await h.stripe.refunds.create({ payment_intent: piId });
    expect(rest.amount).toBe(4750);
    await expect(h.stripe.refunds.create({ payment_intent: piId })).rejects.toMatchObject({
      code: 'charge_already_refunded',
    });
  });

  it('refuses to refund an uncaptured intent', async () => {
    const { piId } = await paidSession();
    await expect(h.stripe.refunds.create({ payment_intent: piId })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });
});

describe('POST /v1/checkout/sessions/:id/expire', () => {
  it('expires an open session, emits checkout.session.expired and the hosted page says it expired', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    const expired = await h.stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    await h.receiver.waitForType('checkout.session.expired', session.id);

    const page = await fetch(session.url as string);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
    await expect(h.stripe.checkout.sessions.expire(session.id)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });

  it('refuses to expire a completed session', async () => {
    const { session } = await paidSession();
    await expect(h.stripe.checkout.sessions.expire(session.id)).rejects.toThrow(/status of "complete"/);
  });
});

describe('requests Stripe would refuse', () => {
  it('answers 401 without a test secret key', async () => {
    const live = new Stripe('sk_live_nope', { host: '127.0.0.1', port: h.standIn.port, protocol: 'http' });
    await expect(live.checkout.sessions.create(sessionParams())).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    const res = await fetch(`${h.standIn.url}/v1/events/evt_x`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('names the missing or invalid parameter', async () => {
    await expect(
      h.stripe.checkout.sessions.create({ ...sessionParams(), line_items: [] }),
    ).rejects.toMatchObject({ code: 'parameter_missing', param: 'line_items' });
    const soon = Math.floor(Date.now() / 1000) + 60;
    await expect(
      h.stripe.checkout.sessions.create(sessionParams({ expires_at: soon })),
    ).rejects.toMatchObject({ param: 'expires_at', statusCode: 400 });
    await expect(
      h.stripe.checkout.sessions.create(sessionParams({ allow_promotion_codes: true })),
    ).rejects.toMatchObject({ code: 'parameter_unknown', param: 'allow_promotion_codes' });
    await expect(h.stripe.paymentIntents.retrieve('pi_missing')).rejects.toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
    });
  });
});

describe('refunds from the dashboard and disputes', () => {
  it('a dashboard refund carries no metadata of ours and is announced by charge.refunded like any refund', async () => {
    const { piId } = await paidSession();
    await h.stripe.paymentIntents.capture(piId);
    const refund = await h.standIn.refundFromDashboard(piId, 2000);
    expect(refund).toMatchObject({ amount: 2000, metadata: {}, payment_intent: piId });
    const event = await h.receiver.waitForType('charge.refunded');
    expect(event.request).toMatchObject({ id: null });
    expect((event.data.object as Stripe.Charge).amount_refunded).toBe(2000);
    expect((await h.stripe.refunds.list({ payment_intent: piId })).data.map((r) => r.id)).toEqual([
      refund.id,
    ]);
  });

  it('when paid with 4000 0000 0000 0259, the capture is followed by charge.dispute.created for the captured amount', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await submitCheckout(session.url as string, { card_number: '4000000000000259', action: 'pay' });
    const piId = (await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent as string;
    await h.stripe.paymentIntents.capture(piId);
    const event = await h.receiver.waitForType('charge.dispute.created');
    const dispute = event.data.object as Stripe.Dispute;
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 9250,
      payment_intent: piId,
      reason: 'fraudulent',
    });
    const res = await fetch(`${h.standIn.url}/v1/disputes/${dispute.id}`, {
      headers: { authorization: 'Bearer sk_test_x' },
    });
    expect(await res.json()).toMatchObject({ id: dispute.id, status: 'needs_response' });
    // One dispute per charge.
    await expect(h.standIn.dispute(piId)).rejects.toThrow(/already disputed/);
  });

  it('keeps the name on the card: the session’s customer_details and the charge’s billing_details', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await submitCheckout(session.url as string, {
      card_number: '4242424242424242',
      cardholder_name: ' Ada Lovelace ',
      action: 'pay',
    });
    const completed = await h.stripe.checkout.sessions.retrieve(session.id, {
      expand: ['payment_intent.latest_charge'],
    });
    expect(completed.customer_details).toMatchObject({ name: 'Ada Lovelace' });
    const charge = (completed.payment_intent as Stripe.PaymentIntent).latest_charge as Stripe.Charge;
    expect(charge.billing_details).toMatchObject({ name: 'Ada Lovelace' });
  });
});

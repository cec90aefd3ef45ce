import { eventually } from '@ticketslave/dev/test-support';
import { PATIENCE_MS, PaymentHarness, TEST_TIMEOUT_MS } from './payment-harness';

const h = new PaymentHarness();
const patiently = { timeoutMs: PATIENCE_MS };
jest.setTimeout(TEST_TIMEOUT_MS);
beforeAll(() => h.start('paysettle'), 2 * PATIENCE_MS);
afterAll(() => h.stop());

describe('when purchase cannot keep the seats', () => {
  it('voids an authorization on order.cancelled and never captures it, even if a completion follows', async () => {
    const order = await h.authorizedOrder();
    await h.publish('order.cancelled', { ...order.ref, reason: 'seats_gone' });
    const [voided] = await h.messages('payment.voided', order.orderId);
    expect(voided).toMatchObject({ paymentIntentId: order.paymentIntentId, reason: 'seats_gone' });
    expect((await h.stripe.paymentIntents.retrieve(order.paymentIntentId)).status).toBe('canceled');

    const handled = await h.handled('payment.orders', 'order.completed');
    await h.publish('order.completed', order.ref);
    // Once the consumer has handled it (however slow), nothing may have been captured.
    await eventually(async () => (await h.handled('payment.orders', 'order.completed')) > handled, patiently);
    expect(h.countOf('payment.captured', order.orderId)).toBe(0);
    expect((await h.standIn.state()).paymentIntents[order.paymentIntentId]?.amount_received).toBe(0);
    expect(await h.status(order.orderId, order.cookie)).toBe('voided');
  });

  it('expires the open Checkout Session when the fan releases an unpaid hold', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    await h.publish('order.cancelled', { ...order.ref, reason: 'released' });
    await eventually(
      async () => (await h.standIn.state()).sessions[sessionId]?.session.status === 'expired',
      patiently,
    );
    expect(h.countOf('payment.voided', order.orderId)).toBe(0);
  });
});

describe('when the hold lapses while the fan is paying', () => {
  it('still announces the authorization that arrives after order.expired, so purchase can decide', async () => {
    const order = await h.holdOrder();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    // The webhook is late: it lands after the expiry below.
    const completed = await h.payWithoutWebhooks(sessionId);
    await h.publish('order.expired', order.ref);
    await eventually(async () => (await h.status(order.orderId, order.cookie)) === 'expired', patiently);

    await h.standIn.replayEvent(completed.id);
    const [authorized] = await h.messages('payment.authorized', order.orderId);
    expect((await h.stripe.paymentIntents.retrieve(authorized!.paymentIntentId)).status).toBe(
      'requires_capture',
    );

    // purchase found the seats still free and completed the order: the money is taken.
    await h.publish('order.completed', order.ref);
    await h.messages('payment.captured', order.orderId);
  });
});

describe('capture failure', () => {
  it('records a capture that already happened at Stripe (an earlier attempt whose commit was lost) as captured, not failed', async () => {
    const order = await h.authorizedOrder();
    await h.stripe.paymentIntents.capture(order.paymentIntentId);
    await h.publish('order.completed', order.ref);
    await h.messages('payment.captured', order.orderId);
    expect(h.countOf('payment.failed', order.orderId)).toBe(0);
  });

  it('keeps retrying a capture while Stripe is down (never dead-letters it) and captures once Stripe is back', async () => {
    const order = await h.authorizedOrder();
    await h.standIn.setOutage(503);
    try {
      await h.publish('order.completed', order.ref);
      // Longer than the five ordinary attempts (with the SDK's own retries, ~10 s) a handler gets.
      await new Promise((r) => setTimeout(r, 15_000));
      expect(h.countOf('payment.captured', order.orderId)).toBe(0);
      expect(h.countOf('payment.failed', order.orderId)).toBe(0);
    } finally {
      await h.standIn.setOutage(null);
    }
    await h.messages('payment.captured', order.orderId);
    expect(h.countOf('payment.failed', order.orderId)).toBe(0);
    // A dead-lettered message is never handled again: this capture came from the retries.
    expect((await h.standIn.state()).paymentIntents[order.paymentIntentId]?.status).toBe('succeeded');
  });

  it('emits payment.failed when the authorization is gone by the time purchase completes the order', async () => {
    const order = await h.authorizedOrder();
    // The hold on the card lapsed or was released at Stripe behind our back.
    await h.stripe.paymentIntents.cancel(order.paymentIntentId);
    await h.publish('order.completed', order.ref);
    const [failed] = await h.messages('payment.failed', order.orderId);
    expect(failed).toMatchObject({ paymentIntentId: order.paymentIntentId });
    expect(h.countOf('payment.captured', order.orderId)).toBe(0);
    expect(await h.status(order.orderId, order.cookie)).toBe('failed');
  });
});

import { createLogger } from '@ticketslave/common';
import { eventually } from '@ticketslave/dev/test-support';
import { PaymentRepository } from '../src/data/payment-repository';
import { Settlement } from '../src/domain/settlement';
import type { PaymentGateway } from '../src/stripe/payment-gateway';
import { StripeGateway } from '../src/stripe/stripe-gateway';
import { PATIENCE_MS, PaymentHarness, TEST_TIMEOUT_MS, WEBHOOK_SECRET } from './payment-harness';

/**
 * order.cancelled and order.completed travel on different topics, so payment may handle
 * them in either order or at the same time. These tests stop a capture or a void at a
 * chosen point (a gate in front of the real Stripe stand-in) to replay the interleavings
 * a loaded machine produces by chance, and hold the invariant: once payment knows purchase
 * cancelled the order, the authorization is voided, never captured, and payment.voided is told.
 */
const h = new PaymentHarness();
jest.setTimeout(TEST_TIMEOUT_MS);
beforeAll(() => h.start('payrace'), 2 * PATIENCE_MS);
afterAll(() => h.stop());

/** A promise opened from outside. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** A second service instance's settlement, sharing the database and the Stripe stand-in. */
function instance(wrap: (gateway: PaymentGateway) => Partial<PaymentGateway> = () => ({})) {
  const real = new StripeGateway({
    secretKey: 'sk_test_payment',
    webhookSecret: WEBHOOK_SECRET,
    host: '127.0.0.1',
    port: h.standIn.port,
    protocol: 'http',
  });
  const gateway: PaymentGateway = Object.assign(Object.create(real) as PaymentGateway, wrap(real));
  const repo = new PaymentRepository(h.service.kit.ds, h.service.kit.wakeOutbox);
  return { repo, settlement: new Settlement(repo, gateway, createLogger('payment-race', 'silent')) };
}

/** What the order.cancelled handler does before it voids: the cancellation is recorded. */
async function recordCancellation(repo: PaymentRepository, orderId: string): Promise<void> {
  await repo.transaction((tx) =>
    repo.setOrderStatus(tx, orderId, 'cancelled', ['pending', 'expired', 'completed']),
  );
}

describe('when purchase cancelled the order and a completion races the void', () => {
  it('does not capture an authorization whose order is already cancelled, and the void still goes through', async () => {
    const order = await h.authorizedOrder();
    const { repo, settlement } = instance();
    await recordCancellation(repo, order.orderId);

    // The completion is handled before the cancellation's void reached Stripe.
    await settlement.capture(order.orderId);
    expect((await h.stripe.paymentIntents.retrieve(order.paymentIntentId)).status).toBe('requires_capture');

    await settlement.void(order.orderId, 'seats_gone');
    const [voided] = await h.messages('payment.voided', order.orderId);
    expect(voided).toMatchObject({ paymentIntentId: order.paymentIntentId, reason: 'seats_gone' });
    expect(h.countOf('payment.captured', order.orderId)).toBe(0);
    expect((await h.standIn.state()).paymentIntents[order.paymentIntentId]?.amount_received).toBe(0);
    expect(await h.status(order.orderId, order.cookie)).toBe('voided');
  });

  it('when the void cancels at Stripe while a capture is in flight, records it voided, not failed', async () => {
    const order = await h.authorizedOrder();
    const captureAtStripe = gate();
    const captureMayGo = gate();
    const cancelledAtStripe = gate();
    const voidMayRecord = gate();
    const completion = instance((real) => ({
      capture: async (pi) => {
        captureAtStripe.open();
        await captureMayGo.opened;
        return real.capture(pi);
      },
    }));
    const cancellation = instance((real) => ({
      cancel: async (pi) => {
        const intent = await real.cancel(pi);
        cancelledAtStripe.open();
        await voidMayRecord.opened;
        return intent;
      },
    }));

    // order.completed is handled first: the order is not cancelled yet, so it goes to Stripe...
    const capturing = completion.settlement.capture(order.orderId);
    await captureAtStripe.opened;
    // ...while order.cancelled is handled on another partition and its void reaches Stripe first.
    await recordCancellation(cancellation.repo, order.orderId);
    const voiding = cancellation.settlement.void(order.orderId, 'seats_gone');
    await cancelledAtStripe.opened;
    captureMayGo.open();
    await capturing;
    voidMayRecord.open();
    await voiding;

    const [voided] = await h.messages('payment.voided', order.orderId);
    expect(voided).toMatchObject({ paymentIntentId: order.paymentIntentId, reason: 'seats_gone' });
    expect(await h.status(order.orderId, order.cookie)).toBe('voided');
    expect(h.countOf('payment.failed', order.orderId)).toBe(0);
    expect(h.countOf('payment.captured', order.orderId)).toBe(0);
    expect((await h.standIn.state()).paymentIntents[order.paymentIntentId]?.amount_received).toBe(0);
  });
});

describe('when the messages arrive completion first, cancellation next, authorization last', () => {
  it('voids the authorization: the cancellation wins over the completion seen before it', async () => {
    const order = await h.holdOrder();
    const { repo } = instance();
    const { sessionId } = await h.checkout(order.orderId, order.cookie);
    const completed = await h.payWithoutWebhooks(sessionId);

    await h.publish('order.completed', order.ref);
    await eventually(async () => (await repo.order(repo.db, order.orderId))?.status === 'completed', {
      timeoutMs: PATIENCE_MS,
      message: 'order.completed never reached payment',
    });
    await h.publish('order.cancelled', { ...order.ref, reason: 'seats_gone' });
    await eventually(async () => (await repo.order(repo.db, order.orderId))?.status === 'cancelled', {
      timeoutMs: PATIENCE_MS,
      message: 'order.cancelled did not cancel the completed order',
    });

    await h.standIn.replayEvent(completed.id);
    await h.messages('payment.authorized', order.orderId);
    const [voided] = await h.messages('payment.voided', order.orderId);
    // The cancellation's own reason, though the void came from the authorization's webhook.
    expect(voided).toMatchObject({ reason: 'seats_gone' });
    expect(h.countOf('payment.captured', order.orderId)).toBe(0);
    const view = await h.fetch(`/payment/api/orders/${order.orderId}`, { cookie: order.cookie });
    expect(await view.json()).toMatchObject({ status: 'voided', reason: 'seats_gone' });
  });
});

import { randomUUID } from 'node:crypto';
import { eventually } from '@ticketslave/dev/test-support';
import { PaymentHarness } from './payment-harness';

// Stripe retries a failed delivery with backoff; 1 s, 2 s, 4 s… outlasts a restart.
const h = new PaymentHarness();
beforeAll(() => h.start('payrestart', { webhookRetryMs: 1000 }), 60_000);
afterAll(() => h.stop());

describe('when the payment service is down for a moment', () => {
  it('loses neither the webhook Stripe sent meanwhile nor the orders purchase announced meanwhile', async () => {
    const paid = await h.holdOrder();
    const { sessionId } = await h.checkout(paid.orderId, paid.cookie);
    const lateOrderId = randomUUID();

    await h.restartService(async () => {
      await h.standIn.pay(sessionId); // the first delivery finds nobody listening
      await h.publish('order.created', {
        orderId: lateOrderId,
        eventId: randomUUID(),
        userId: paid.userId,
        admissionId: randomUUID(),
        amountMinor: 5000,
        currency: 'EUR',
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
      });
    });

    await h.messages('payment.authorized', paid.orderId);
    // Stripe delivers one checkout's events in order: the first of them met the closed port and was retried.
    const retried = (await h.standIn.state()).events.filter((r) => r.delivery.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    await eventually(
      async () => (await h.fetch(`/payment/api/orders/${lateOrderId}`, { cookie: paid.cookie })).ok,
    );

    await h.publish('order.completed', paid.ref);
    await h.messages('payment.captured', paid.orderId);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { startStripeStandInProcess } from './child-process';
import { startStripeStandIn, type StripeStandIn } from './stand-in';
import { sessionParams, WEBHOOK_SECRET, WebhookReceiver } from './test-kit';

describe('the stand-in in its own process (startStripeStandInProcess)', () => {
  let standIn: StripeStandIn | undefined;
  const receiver = new WebhookReceiver();
  let webhookUrl: string;
  beforeAll(async () => {
    webhookUrl = await receiver.start();
  });
  afterAll(async () => {
    await standIn?.stop();
    await receiver.stop();
  });

  it('when a session the SDK created is paid through the handle, its webhooks reach the receiver, signed', async () => {
    const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'stripe-process-')), 'stripe.log');
    standIn = await startStripeStandInProcess({
      port: 0,
      webhookUrl,
      webhookSecret: WEBHOOK_SECRET,
      webhookRetry: { initialDelayMs: 20, maxAttempts: 3 },
      logFile,
    });
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stripe = new Stripe('sk_test_process', { host: '127.0.0.1', port: standIn.port, protocol: 'http' });
    const session = await stripe.checkout.sessions.create(sessionParams());

    await standIn.pay(session.id);
    const completed = await receiver.waitForType('checkout.session.completed', session.id);
    const charge = await receiver.waitForType('charge.succeeded');
    expect(charge.data.object).toMatchObject({ captured: false, metadata: { orderId: 'order-1' } });
    await standIn.webhooksIdle();

    const state = await standIn.state();
    expect(state.sessions[session.id]?.session.status).toBe('complete');
    expect(state.events.find((e) => e.event.id === completed.id)?.delivery.status).toBe('delivered');
    const events = await standIn.state({ only: ['events'], eventTypes: ['charge.succeeded'] });
    expect(events.events.map((e) => e.event.id)).toEqual([charge.id]);
    expect(events.sessions).toEqual({});
    expect(await standIn.apiRequests()).toMatchObject({ 'POST /v1/checkout/sessions': 1 });

    // A declined card is refused through the handle as in-process, with Stripe's code.
    const other = await stripe.checkout.sessions.create(sessionParams());
    await expect(standIn.pay(other.id, '4000000000000002')).rejects.toMatchObject({
      message: expect.stringMatching(/declined/) as unknown,
      code: 'card_declined',
    });

    // An outage set through the handle answers the SDK with 503s.
    await standIn.setOutage(503);
    await expect(stripe.checkout.sessions.retrieve(session.id)).rejects.toBeInstanceOf(
      Stripe.errors.StripeAPIError,
    );
    await standIn.setOutage(null);

    await standIn.replayEvent(completed.id);
    await receiver.waitFor((e) => receiver.deliveries.filter((d) => d.event.id === e.id).length === 2);

    await standIn.stop();
    standIn = undefined;
    expect(readFileSync(logFile, 'utf8')).toContain('Stripe stand-in on http://127.0.0.1:');
  });

  it('serves no control API unless asked to', async () => {
    const plain = await startStripeStandIn({ port: 0, webhookSecret: WEBHOOK_SECRET });
    try {
      const res = await fetch(`${plain.url}/_standin/state`);
      expect(res.status).toBe(404);
      const pay = await fetch(`${plain.url}/_standin/pay`, { method: 'POST', body: '{}' });
      expect(pay.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

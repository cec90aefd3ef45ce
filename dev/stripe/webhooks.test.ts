import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { startStripeStandIn } from './stand-in';
import { sessionParams, startHarness, WEBHOOK_SECRET, type Harness } from './test-kit';
import { signatureHeader } from './webhooks';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('webhook delivery', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('when the receiver answers 500 once, redelivers the same event id', async () => {
    h.receiver.respond = (event, attempt) =>
      event.type === 'checkout.session.completed' && attempt === 1 ? 500 : 200;
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.pay(session.id);
    await h.standIn.webhooksIdle();

    const completed = h.receiver.deliveries.filter((d) => d.event.type === 'checkout.session.completed');
    expect(completed).toHaveLength(2);
    expect(completed[1]?.event.id).toBe(completed[0]?.event.id);
    expect(completed[1]?.rawBody).toBe(completed[0]?.rawBody);
    const record = (await h.standIn.state()).events.find((e) => e.event.id === completed[0]?.event.id);
    expect(record?.delivery).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('gives up after the configured number of attempts and records the failure', async () => {
    h.receiver.respond = () => 503;
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.stripe.checkout.sessions.expire(session.id);
    await h.standIn.webhooksIdle();
    expect(h.receiver.types()).toEqual(Array(4).fill('checkout.session.expired'));
    expect((await h.standIn.state()).events[0]?.delivery).toMatchObject({
      status: 'failed',
      attempts: 4,
      lastError: 'HTTP 503',
    });
  });

  it('holds back later events of a checkout while an earlier one is being retried', async () => {
    h.receiver.respond = (event, attempt) =>
      event.type === 'checkout.session.completed' && attempt < 3 ? 500 : 200;
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.pay(session.id);
    const piId = (await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent as string;
    await h.stripe.paymentIntents.capture(piId);
    await h.receiver.waitForType('payment_intent.succeeded', piId);

    const types = h.receiver.types();
    expect(types.filter((t) => t === 'checkout.session.completed')).toHaveLength(3);
    expect(types.indexOf('payment_intent.succeeded')).toBeGreaterThan(
      types.lastIndexOf('checkout.session.completed'),
    );
  });

  it('signs so that a tampered body or a wrong secret fails constructEvent', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.stripe.checkout.sessions.expire(session.id);
    await h.receiver.waitForType('checkout.session.expired');
    const { rawBody, signature } = h.receiver.deliveries[0] as { rawBody: string; signature: string };
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const tampered = rawBody.replace('"expired"', '"complete"');
    expect(tampered).not.toBe(rawBody);
    expect(() => h.stripe.webhooks.constructEvent(tampered, signature, WEBHOOK_SECRET)).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(() => h.stripe.webhooks.constructEvent(rawBody, signature, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
    expect(h.stripe.webhooks.constructEvent(rawBody, signature, WEBHOOK_SECRET).type).toBe(
      'checkout.session.expired',
    );

    // Our header format is Stripe's: the SDK's own test header for the same payload and time is identical.
    const t = Number(/t=(\d+)/.exec(signature)?.[1]);
    expect(signatureHeader(rawBody, WEBHOOK_SECRET, t)).toBe(
      h.stripe.webhooks.generateTestHeaderString({ payload: rawBody, secret: WEBHOOK_SECRET, timestamp: t }),
    );
  });

  it('keeps events retrievable and can replay one with the same id', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.stripe.checkout.sessions.expire(session.id);
    const delivered = await h.receiver.waitForType('checkout.session.expired');

    const retrieved = await h.stripe.events.retrieve(delivered.id);
    expect(retrieved).toMatchObject({
      id: delivered.id,
      object: 'event',
      type: 'checkout.session.expired',
      livemode: false,
      pending_webhooks: 1,
    });
    expect((retrieved.data.object as Stripe.Checkout.Session).id).toBe(session.id);

    await h.standIn.replayEvent(delivered.id);
    expect(h.receiver.deliveries.filter((d) => d.event.id === delivered.id)).toHaveLength(2);
  });

  it('never makes the API call wait for a slow receiver', async () => {
    // The receiver answers only once the API call has returned: a stand-in that waited for
    // the delivery would return only when the fallback (10 s) lets the receiver answer.
    const order: string[] = [];
    let answer!: (status: number) => void;
    const answered = new Promise<number>((resolve) => (answer = resolve));
    h.receiver.respond = () => {
      order.push('delivery arrived');
      return answered.then((status) => {
        order.push('receiver answered');
        return status;
      });
    };
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    const fallback = setTimeout(() => answer(200), 10_000);
    await h.stripe.checkout.sessions.expire(session.id);
    order.push('API answered');
    answer(200);
    clearTimeout(fallback);
    await h.standIn.webhooksIdle();
    h.receiver.respond = () => 200;
    expect(order.filter((o) => o !== 'delivery arrived')).toEqual(['API answered', 'receiver answered']);
    expect(order).toContain('delivery arrived');
  });
});

describe('dataFile', () => {
  it('keeps sessions, events and idempotency keys across a restart', async () => {
    const dataFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'stripe-standin-')), 'state.json');
    h = await startHarness({ dataFile });
    const session = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'persist-1' });
    await h.standIn.pay(session.id);
    await h.standIn.webhooksIdle();
    const port = h.standIn.port;
    await h.standIn.stop();

    const again = await startStripeStandIn({ port, webhookSecret: WEBHOOK_SECRET, dataFile });
    h.standIn = again;
    const retrieved = await h.stripe.checkout.sessions.retrieve(session.id);
    expect(retrieved).toMatchObject({ status: 'complete', payment_intent: expect.stringMatching(/^pi_/) });
    const replay = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'persist-1' });
    expect(replay.id).toBe(session.id);
    const events = await h.stripe.events.list({ type: 'checkout.session.completed' });
    expect(events.data.map((e) => (e.data.object as Stripe.Checkout.Session).id)).toEqual([session.id]);
  });
});

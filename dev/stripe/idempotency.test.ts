import Stripe from 'stripe';
import { sessionParams, startHarness, type Harness } from './test-kit';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('Idempotency-Key', () => {
  it('when a session create is retried with the same key and parameters, returns the same session', async () => {
    const first = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'order-1:1' });
    const again = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'order-1:1' });
    expect(again.id).toBe(first.id);
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    expect(Object.keys((await h.standIn.state()).sessions)).toEqual([first.id]);

    const other = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'order-1:2' });
    expect(other.id).not.toBe(first.id);
  });

  it('when the key is reused with other parameters, answers an idempotency_error', async () => {
    await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'order-2:1' });
    const err = await h.stripe.checkout.sessions
      .create(sessionParams({ client_reference_id: 'order-3' }), { idempotencyKey: 'order-2:1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(err).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError' });
  });

  it('when the key is reused on another endpoint, answers an idempotency_error', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'shared' });
    await expect(
      h.stripe.checkout.sessions.expire(session.id, {}, { idempotencyKey: 'shared' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('when a capture is retried with its key, answers the same result and captures once', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.pay(session.id);
    const piId = (await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent as string;
    const first = await h.stripe.paymentIntents.capture(piId, {}, { idempotencyKey: `capture:${piId}` });
    const again = await h.stripe.paymentIntents.capture(piId, {}, { idempotencyKey: `capture:${piId}` });
    expect(again.status).toBe('succeeded');
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(again.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);

    await h.standIn.webhooksIdle();
    expect(h.receiver.types().filter((t) => t === 'payment_intent.succeeded')).toHaveLength(1);
    // Without the key, a second capture is a new request and Stripe refuses it.
    await expect(h.stripe.paymentIntents.capture(piId)).rejects.toMatchObject({
      code: 'payment_intent_unexpected_state',
    });
  });

  it('replays an error met while executing, but not a rejected parameter', async () => {
    const session = await h.stripe.checkout.sessions.create(sessionParams());
    await h.standIn.pay(session.id);
    const piId = (await h.stripe.checkout.sessions.retrieve(session.id)).payment_intent as string;

    // A refund of an uncaptured intent fails while executing: the same key must keep failing, even after capture.
    await expect(
      h.stripe.refunds.create({ payment_intent: piId }, { idempotencyKey: 'refund-1' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await h.stripe.paymentIntents.capture(piId);
    await expect(
      h.stripe.refunds.create({ payment_intent: piId }, { idempotencyKey: 'refund-1' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);

    // A parameter error is not stored, so the corrected request may use the key.
    await expect(
      h.stripe.checkout.sessions.create(sessionParams({ mode: 'subscription' }), {
        idempotencyKey: 'fix-me',
      }),
    ).rejects.toMatchObject({ param: 'mode' });
    const fixed = await h.stripe.checkout.sessions.create(sessionParams(), { idempotencyKey: 'fix-me' });
    expect(fixed.status).toBe('open');
  });
});

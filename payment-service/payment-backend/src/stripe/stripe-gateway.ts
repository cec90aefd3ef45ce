import Stripe from 'stripe';
import type { TimeCall } from '@ticketslave/common';
import {
  GatewayRefusal,
  WebhookSignatureError,
  type CheckoutRequest,
  type CheckoutSession,
  type CheckoutState,
  type GatewayEvent,
  type GatewayRefund,
  type IntentStatus,
  type PaymentGateway,
  type PaymentIntentView,
} from './payment-gateway';

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  /** Times each call (the service's `ts_outbound_call_seconds`); untimed without one. */
  timeCall?: TimeCall;
}

const idOf = (v: string | { id: string } | null | undefined): string | undefined =>
  v == null ? undefined : typeof v === 'string' ? v : v.id;

/**
 * Stripe's 4xx answers (bad state, declined card, already expired…) will not change on
 * retry. Network errors, 429 and 5xx will (after the SDK's own retries): they are
 * marked `retriable`, so a Kafka handler retries them until Stripe is back instead of
 * dead-lettering a capture or a void after five attempts; an HTTP caller answers 5xx and
 * its client (Stripe's webhook redelivery, the fan's page) tries again.
 */
/**
 * Starts `fn` with no stack captured for errors created while it starts. The Stripe SDK takes
 * the caller's stack (`new Error().stack`) at the start of every request, to attach to an
 * error it may return later; with source maps on (production's `NODE_OPTIONS`, the platform's
 * services) each capture is mapped through the source map: about 0.6 ms of CPU per Stripe
 * call, some 3.5 s of payment's time in a 20,000-fan on-sale (bench:onsale profile, issue
 * 21). Errors keep their message and type; our own logs carry our stack. Synchronous, so
 * nothing else runs while the limit is 0, and it is restored however `fn` returns.
 */
export function withoutCallSiteStack<T>(fn: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await withoutCallSiteStack(fn);
  } catch (err) {
    if (
      err instanceof Stripe.errors.StripeError &&
      (err.type === 'StripeInvalidRequestError' || err.type === 'StripeCardError')
    )
      throw new GatewayRefusal(err.message, err.code);
    if (
      err instanceof Stripe.errors.StripeError &&
      (err.type === 'StripeRateLimitError' ||
        err.type === 'StripeAPIError' ||
        err.type === 'StripeConnectionError')
    )
      throw Object.assign(new Error(`Stripe unavailable (${err.type}): ${err.message}`, { cause: err }), {
        retriable: true,
      });
    throw err;
  }
}

const intentView = (pi: Stripe.PaymentIntent): PaymentIntentView => {
  const charge = typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
  const cardFingerprint = charge?.payment_method_details?.card?.fingerprint ?? undefined;
  return {
    id: pi.id,
    // Stripe may add statuses; the domain treats unknown ones as "not yet settled".
    status: pi.status as IntentStatus,
    amountMinor: pi.amount,
    currency: pi.currency.toUpperCase(),
    ...(cardFingerprint ? { cardFingerprint } : {}),
  };
};

export class StripeGateway implements PaymentGateway {
  private readonly stripe: Stripe;

  /** One call to Stripe: timed, and its errors sorted as `call` does. */
  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.opts.timeCall ? this.opts.timeCall(operation, () => call(fn)) : call(fn);
  }

  constructor(private readonly opts: StripeGatewayOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      host: opts.host,
      port: opts.port,
      protocol: opts.protocol,
      maxNetworkRetries: 2,
      timeout: 15_000,
    });
  }

  async createCheckout(req: CheckoutRequest): Promise<CheckoutSession> {
    const metadata = { orderId: req.orderId, eventId: req.eventId };
    const session = await this.call('checkout.sessions.create', () =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: req.currency.toLowerCase(),
                unit_amount: req.amountMinor,
                product_data: { name: req.description },
              },
            },
          ],
          payment_intent_data: { capture_method: 'manual', metadata },
          metadata,
          client_reference_id: req.orderId,
          ...(req.customerEmail ? { customer_email: req.customerEmail } : {}),
          ...(req.expiresAt ? { expires_at: Math.floor(req.expiresAt.getTime() / 1000) } : {}),
          success_url: req.successUrl,
          cancel_url: req.cancelUrl,
        },
        // Same key, same session: a retried request cannot open a second one for this attempt.
        { idempotencyKey: `${req.orderId}:${req.attempt}` },
      ),
    );
    if (!session.url) throw new Error(`Checkout Session ${session.id} came back without a URL`);
    return { sessionId: session.id, url: session.url, expiresAt: new Date(session.expires_at * 1000) };
  }

  async expireCheckout(sessionId: string): Promise<void> {
    const session = await this.call('checkout.sessions.retrieve', () =>
      this.stripe.checkout.sessions.retrieve(sessionId),
    );
    if (session.status !== 'open') return;
    try {
      await this.call('checkout.sessions.expire', () => this.stripe.checkout.sessions.expire(sessionId));
    } catch (err) {
      // Completed or expired meanwhile: the webhook for that tells the rest of the story.
      if (!(err instanceof GatewayRefusal)) throw err;
    }
  }

  async retrieveIntent(paymentIntentId: string): Promise<PaymentIntentView> {
    // With its charge: the card's fingerprint is on it (the per-card limit of an event).
    return intentView(
      await this.call('payment_intents.retrieve', () =>
        this.stripe.paymentIntents.retrieve(paymentIntentId, { expand: ['latest_charge'] }),
      ),
    );
  }

  async retrieveCheckout(sessionId: string): Promise<CheckoutState> {
    // The intent and its charge in the same answer: the card's fingerprint is on the charge.
    const session = await this.call('checkout.sessions.retrieve', () =>
      this.stripe.checkout.sessions.retrieve(sessionId, { expand: ['payment_intent.latest_charge'] }),
    );
    const pi = typeof session.payment_intent === 'object' ? session.payment_intent : null;
    return {
      sessionId: session.id,
      // Stripe may add statuses: only 'complete' is acted on.
      status: (session.status ?? 'open') as CheckoutState['status'],
      orderId: session.metadata?.orderId ?? session.client_reference_id ?? undefined,
      intent: pi ? intentView(pi) : undefined,
      customerName: session.customer_details?.name ?? undefined,
    };
  }

  async capture(paymentIntentId: string): Promise<PaymentIntentView> {
    return intentView(
      await this.call('payment_intents.capture', () =>
        this.stripe.paymentIntents.capture(
          paymentIntentId,
          {},
          { idempotencyKey: `capture:${paymentIntentId}` },
        ),
      ),
    );
  }

  async cancel(paymentIntentId: string): Promise<PaymentIntentView> {
    return intentView(
      await this.call('payment_intents.cancel', () =>
        this.stripe.paymentIntents.cancel(
          paymentIntentId,
          { cancellation_reason: 'abandoned' },
          { idempotencyKey: `cancel:${paymentIntentId}` },
        ),
      ),
    );
  }

  async refund(
    paymentIntentId: string,
    r: { refundId: string; amountMinor?: number },
  ): Promise<{ stripeRefundId: string; amountMinor: number }> {
    const refund = await this.call('refunds.create', () =>
      this.stripe.refunds.create(
        {
          payment_intent: paymentIntentId,
          reason: 'requested_by_customer',
          metadata: { refundId: r.refundId },
          ...(r.amountMinor !== undefined ? { amount: r.amountMinor } : {}),
        },
        { idempotencyKey: `refund:${r.refundId}` },
      ),
    );
    return { stripeRefundId: refund.id, amountMinor: refund.amount };
  }

  async listRefunds(paymentIntentId: string): Promise<GatewayRefund[]> {
    const list = await this.call('refunds.list', () =>
      this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 }),
    );
    return list.data.map((r) => ({
      stripeRefundId: r.id,
      amountMinor: r.amount,
      refundId: r.metadata?.refundId,
      status: r.status ?? 'succeeded',
    }));
  }

  verifyWebhook(rawBody: Buffer, signature: string | undefined): GatewayEvent {
    let event: Stripe.Event;
    try {
      // Default tolerance (300 s): a captured request replayed later is refused.
      event = this.stripe.webhooks.constructEvent(rawBody, signature ?? '', this.opts.webhookSecret);
    } catch (err) {
      throw new WebhookSignatureError((err as Error).message);
    }
    if (event.type === 'payment_intent.amount_capturable_updated') {
      const pi = event.data.object;
      return { id: event.id, type: event.type, intent: intentView(pi), orderId: pi.metadata?.orderId };
    }
    if (event.type === 'charge.succeeded') {
      const charge = event.data.object;
      const paymentIntentId = idOf(charge.payment_intent);
      const orderId = charge.metadata?.orderId;
      // A captured charge (automatic capture) or one of an intent we did not open holds nothing to authorize.
      if (charge.captured || charge.status !== 'succeeded' || !paymentIntentId || !orderId)
        return { id: event.id, type: 'other', stripeType: event.type };
      const cardFingerprint = charge.payment_method_details?.card?.fingerprint ?? undefined;
      return {
        id: event.id,
        type: event.type,
        orderId,
        intent: {
          id: paymentIntentId,
          status: 'requires_capture',
          amountMinor: charge.amount,
          currency: charge.currency.toUpperCase(),
          ...(cardFingerprint ? { cardFingerprint } : {}),
        },
      };
    }
    if (event.type === 'checkout.session.completed' || event.type === 'checkout.session.expired') {
      const session = event.data.object;
      const orderId = session.metadata?.orderId ?? session.client_reference_id ?? undefined;
      if (event.type === 'checkout.session.expired')
        return { id: event.id, type: event.type, sessionId: session.id, orderId };
      return {
        id: event.id,
        type: event.type,
        sessionId: session.id,
        orderId,
        paymentIntentId: idOf(session.payment_intent),
        customerName: session.customer_details?.name ?? undefined,
      };
    }
    if (event.type === 'charge.refunded')
      return { id: event.id, type: event.type, paymentIntentId: idOf(event.data.object.payment_intent) };
    if (event.type === 'charge.dispute.created') {
      const dispute = event.data.object;
      return {
        id: event.id,
        type: event.type,
        disputeId: dispute.id,
        paymentIntentId: idOf(dispute.payment_intent),
        amountMinor: dispute.amount,
        reason: dispute.reason,
      };
    }
    return { id: event.id, type: 'other', stripeType: event.type };
  }
}

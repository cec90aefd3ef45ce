import { envelope, type Logger } from '@ticketslave/common';
import type { PaymentRepository, PaymentRow } from '../data/payment-repository';
import { Refunds } from './refunds';
import {
  GatewayRefusal,
  type GatewayEvent,
  type IntentStatus,
  type PaymentGateway,
  type PaymentIntentView,
} from '../stripe/payment-gateway';

/** The name the fan gave at checkout, as kept: trimmed, at most 200 characters; undefined when blank. */
const buyerNameOf = (name: string | undefined): string | undefined => name?.trim().slice(0, 200) || undefined;

const ref = (
  p: Pick<PaymentRow, 'orderId' | 'eventId' | 'paymentIntentId' | 'amountMinor' | 'currency'>,
) => ({
  orderId: p.orderId,
  eventId: p.eventId,
  paymentIntentId: p.paymentIntentId,
  amountMinor: p.amountMinor,
  currency: p.currency,
});

/**
 * Moves money: authorization from Stripe's webhook, then capture, void or refund as
 * purchase and organisers decide. Stripe is called outside database transactions and
 * with idempotency keys; the database then moves the payment with a status-checked
 * update, so a retried message or a racing instance emits each outcome exactly once.
 */
export class Settlement {
  /** Refunds (whole or part), refunds made at Stripe without us, and disputes. */
  readonly refunds: Refunds;

  constructor(
    private readonly repo: PaymentRepository,
    private readonly gateway: PaymentGateway,
    private readonly logger: Logger,
  ) {
    this.refunds = new Refunds(repo, gateway, logger);
  }

  /** Applies one verified Stripe event. Throwing makes Stripe deliver it again. */
  async applyStripeEvent(event: GatewayEvent): Promise<void> {
    switch (event.type) {
      case 'charge.succeeded':
        // The uncaptured charge carries all the authorization needs, the card's fingerprint
        // included: recorded without a call to Stripe (issue 21: that call was ~600 ms of the
        // fan's wait at p50 under the 20,000-fan on-sale).
        return this.authorize(event, undefined, event.orderId, event.intent, undefined);
      case 'payment_intent.amount_capturable_updated':
        // A fallback (a charge.succeeded that did not reach us, an endpoint not subscribed to
        // it): usually charge.succeeded recorded this authorization a moment before.
        if (await this.alreadyAuthorized(event, event.orderId, event.intent.id)) return;
        return this.authorize(event, undefined, event.orderId, await this.withCard(event.intent), undefined);
      case 'charge.refunded':
        return this.refunds.onChargeRefunded(event);
      case 'charge.dispute.created':
        return this.refunds.onDisputeCreated(event);
      case 'checkout.session.completed':
        return this.onSessionCompleted(event);
      case 'checkout.session.expired':
        return this.repo.recordSessionExpired(event.id, event.type, event.sessionId);
      case 'other':
        // Nothing to do and nothing to remember: acknowledged without a database write.
        // (Stripe delivers a checkout's events one after another to the stand-in and, under
        // load, each write here held up the authorization queued behind it.)
        return;
    }
  }

  /**
   * The fan is back from Stripe's page (its success URL): the checkout is read from Stripe
   * now rather than waiting for its webhooks, and a paid one is authorized as
   * `charge.succeeded` would have (Stripe's advice: fulfil on the return as well as from the
   * webhook; issue 21: the webhook's delivery was up to ~1–2 s of the fan's wait at p99 under
   * the 20,000-fan on-sale). The webhooks that follow find the authorization recorded. The
   * caller read that the order has `sessionId` open and no payment yet (Checkout.returned).
   */
  async confirmReturned(orderId: string, sessionId: string): Promise<void> {
    const checkout = await this.gateway.retrieveCheckout(sessionId);
    if (checkout.status !== 'complete' || !checkout.intent || checkout.orderId !== orderId) return;
    // Remembered as processed under its own id: a second return finds the session closed.
    await this.authorize(
      { id: `return:${sessionId}`, type: 'checkout.returned' },
      sessionId,
      orderId,
      checkout.intent,
      checkout.customerName,
    );
  }

  /**
   * A later event of an authorization already recorded (same order, same intent): remembered
   * as processed, without asking Stripe anything. A void that failed after an earlier
   * delivery is retried here, as `authorize` does for a duplicate.
   */
  private async alreadyAuthorized(
    event: { id: string; type: string },
    orderId: string | undefined,
    paymentIntentId: string,
  ): Promise<boolean> {
    // The payment and whether the order is off in one read: a checkout's later events come
    // by the thousand in an on-sale, each a pool checkout fewer.
    const { payment: recorded, calledOff } = orderId ? await this.repo.standing(this.repo.db, orderId) : {};
    if (!orderId || recorded?.paymentIntentId !== paymentIntentId) return false;
    // One statement: remembered, nothing else to write.
    await this.repo.recordStripeEvent(this.repo.db, event.id, event.type);
    if (calledOff) await this.void(orderId, calledOff);
    return true;
  }

  /**
   * The checkout completed. The card's authorization usually arrived first (charge.succeeded,
   * else payment_intent.amount_capturable_updated); otherwise, or when the endpoint receives
   * neither, the intent is asked of Stripe here. With
   * manual capture the session completes with payment_status 'unpaid' (the money is only
   * held): what counts is the intent being ready to capture.
   */
  private async onSessionCompleted(
    event: Extract<GatewayEvent, { type: 'checkout.session.completed' }>,
  ): Promise<void> {
    const { orderId, paymentIntentId } = event;
    // The usual case in one statement (was a read and a transaction of six round trips).
    if (
      orderId &&
      paymentIntentId &&
      (await this.repo.recordSessionCompleted({
        stripeEventId: event.id,
        type: event.type,
        sessionId: event.sessionId,
        orderId,
        paymentIntentId,
        buyerName: buyerNameOf(event.customerName),
      }))
    )
      return this.voidIfOrderIsGone(orderId);
    const intent = paymentIntentId ? await this.gateway.retrieveIntent(paymentIntentId) : undefined;
    return this.authorize(event, event.sessionId, orderId, intent, event.customerName);
  }

  /**
   * The intent with its card's fingerprint. A webhook's intent names its charge without the
   * charge's details (Stripe does not expand webhook objects), so the charge is asked for:
   * one more call to Stripe, outside any transaction, only on the fallback path (the
   * authorization normally comes from charge.succeeded, which has the card). The status stays
   * the webhook's, the state the authorization is recorded in.
   */
  private async withCard(intent: PaymentIntentView): Promise<PaymentIntentView> {
    if (intent.cardFingerprint || intent.status !== 'requires_capture') return intent;
    const { cardFingerprint } = await this.gateway.retrieveIntent(intent.id);
    return cardFingerprint ? { ...intent, cardFingerprint } : intent;
  }

  /**
   * Records the authorization of an order's card and tells purchase (payment.authorized),
   * once: the first authorization of an order wins, a later one for another intent is
   * cancelled at Stripe. Called from any webhook that carries it (charge.succeeded,
   * payment_intent.amount_capturable_updated, checkout.session.completed), in whatever order
   * they come, and again on redeliveries.
   */
  private async authorize(
    event: { id: string; type: string },
    sessionId: string | undefined,
    orderId: string | undefined,
    intent: PaymentIntentView | undefined,
    customerName: string | undefined,
  ): Promise<void> {
    const buyerName = buyerNameOf(customerName);
    const answer = await this.repo.authorize(
      {
        stripeEventId: event.id,
        type: event.type,
        sessionId,
        orderId,
        intent: intent && {
          id: intent.id,
          status: intent.status,
          amountMinor: intent.amountMinor,
          currency: intent.currency,
        },
        buyerName,
      },
      // Purchase decides, even for an expired hold: it secures the seats if they are still free.
      // With the card's fingerprint: purchase refuses a card that already bought the event's
      // per-fan limit (order.cancelled 'card_limit_exceeded', which voids this authorization).
      (order) => ({
        topic: 'payment.authorized',
        envelope: envelope('payment.authorized', {
          orderId: orderId!,
          eventId: order.eventId,
          paymentIntentId: intent!.id,
          amountMinor: order.amountMinor,
          currency: order.currency,
          ...(buyerName ? { buyerName } : {}),
          ...(intent!.cardFingerprint ? { cardFingerprint: intent!.cardFingerprint } : {}),
        }),
      }),
    );
    const outcome =
      answer.outcome === 'no_order' || answer.outcome === 'not_authorized' ? 'ignored' : answer.outcome;
    if (answer.outcome === 'no_order')
      this.logger.warn({ stripeEvent: event.id, orderId }, 'authorization for no order we know');
    else if (answer.outcome === 'not_authorized')
      this.logger.warn(
        { orderId, intent: intent?.id, status: intent?.status },
        'checkout completed without an authorization',
      );
    else if (answer.outcome === 'stray' && answer.amountMinor !== undefined)
      this.logger.error(
        { orderId, intent, order: { amountMinor: answer.amountMinor, currency: answer.currency } },
        'authorized amount differs from the order; cancelling it',
      );
    // A second authorization for an order that is already paid for must not be charged.
    if (outcome === 'stray' && intent) await this.gateway.cancel(intent.id);
    // Runs on duplicates too: a void that failed after the commit is retried with the redelivery.
    if (orderId && outcome !== 'ignored') await this.voidIfOrderIsGone(orderId);
  }

  /** An authorization that arrives after the fan released the hold or the event was cancelled is voided. */
  private async voidIfOrderIsGone(orderId: string): Promise<void> {
    const calledOff = await this.calledOff(orderId);
    if (calledOff) await this.void(orderId, calledOff);
  }

  /**
   * Why the money must not be taken, if purchase cancelled the order (its cancellation's
   * reason) or feed the event (`event_cancelled`).
   */
  private async calledOff(orderId: string): Promise<string | undefined> {
    return (await this.repo.standing(this.repo.db, orderId)).calledOff;
  }

  /**
   * purchase secured the seats: take the money. A cancellation wins over a completion
   * whatever their arrival order (they travel on different topics): once payment knows
   * the order or its event is off, the authorization is left to the void and never captured.
   */
  async capture(orderId: string): Promise<void> {
    const { payment, calledOff } = await this.repo.standing(this.repo.db, orderId);
    if (!payment || payment.status !== 'authorized' || calledOff) return;
    let status: IntentStatus;
    let failure: string | undefined;
    try {
      status = (await this.gateway.capture(payment.paymentIntentId)).status;
    } catch (err) {
      if (!(err instanceof GatewayRefusal)) throw err;
      // Refused: maybe already captured by an earlier try, maybe the authorization lapsed.
      status = (await this.gateway.retrieveIntent(payment.paymentIntentId)).status;
      failure = err.message;
    }
    if (status === 'succeeded') return this.settle(payment, 'captured', 'payment.captured');
    // Cancelled at Stripe by a void that raced this capture (the cancellation arrived while
    // we were calling Stripe): that void records it as voided; calling it failed would
    // win the status-checked update and payment.voided would never be announced.
    if (status === 'canceled' && (await this.calledOff(orderId))) return;
    if (status === 'canceled' || status === 'requires_payment_method')
      return this.settle(payment, 'failed', 'payment.failed', failure ?? `payment intent ${status}`);
    throw new Error(`capture of ${payment.paymentIntentId} left it ${status}; will retry`);
  }

  /** Releases an authorization without charging; a no-op for anything not authorized. */
  async void(orderId: string, reason: string): Promise<void> {
    const payment = await this.repo.payment(this.repo.db, orderId);
    if (!payment || payment.status !== 'authorized') return;
    let status: IntentStatus;
    try {
      status = (await this.gateway.cancel(payment.paymentIntentId)).status;
    } catch (err) {
      if (!(err instanceof GatewayRefusal)) throw err;
      status = (await this.gateway.retrieveIntent(payment.paymentIntentId)).status;
    }
    if (status === 'canceled') return this.settle(payment, 'voided', 'payment.voided', reason);
    if (status === 'succeeded') {
      // Captured by a racing capture: the money moved, so the only way back is a refund.
      await this.settle(payment, 'captured', 'payment.captured');
      await this.refund(orderId, reason);
      return;
    }
    throw new Error(`cancel of ${payment.paymentIntentId} left it ${status}; will retry`);
  }

  /** Gives back what is left of captured money (see Refunds); false when nothing was captured. */
  async refund(orderId: string, reason: string): Promise<boolean> {
    const outcome = await this.refunds.refundRest(
      orderId,
      reason === 'event_cancelled' ? 'event_cancelled' : 'payment',
      reason,
    );
    return outcome === 'refunded';
  }

  /** The event is off: refund what was captured, void what was only authorized, close open checkouts. */
  async cancelEvent(eventId: string, heartbeat: () => Promise<void>): Promise<void> {
    await this.repo.transaction((tx) => this.repo.markEventCancelled(tx, eventId));
    const payments = await this.repo.paymentsOfEvent(this.repo.db, eventId, ['authorized', 'captured']);
    for (const p of payments) {
      if (p.status === 'captured') await this.refund(p.orderId, 'event_cancelled');
      else await this.void(p.orderId, 'event_cancelled');
      await heartbeat();
    }
    for (const s of await this.repo.openSessionsOfEvent(this.repo.db, eventId)) {
      await this.gateway.expireCheckout(s.sessionId);
      await this.repo.transaction((tx) => this.repo.closeSession(tx, s.sessionId, 'expired'));
    }
  }

  private async settle(
    payment: PaymentRow,
    to: 'captured' | 'failed' | 'voided',
    topic: 'payment.captured' | 'payment.failed' | 'payment.voided',
    reason?: string,
  ): Promise<void> {
    await this.repo.settle(payment.orderId, to, reason, (moved) => ({
      topic,
      envelope: envelope(topic, {
        ...ref(moved),
        ...(reason && topic !== 'payment.captured' ? { reason } : {}),
        ...(topic === 'payment.captured' && moved.buyerName ? { buyerName: moved.buyerName } : {}),
      }),
    }));
  }
}

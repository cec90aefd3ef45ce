import { classifyCard } from './cards';
import { resourceMissing, stateError } from './errors';
import {
  newId,
  nowSeconds,
  type ChargeObject,
  type DisputeObject,
  type EventRecord,
  type PaymentIntentObject,
  type RefundObject,
  type SessionRecord,
  type StandInState,
} from './store';

/** Which API request caused an event; Stripe puts it in `event.request`. */
export interface RequestContext {
  id: string | null;
  idempotencyKey: string | null;
}

export const NO_REQUEST: RequestContext = { id: null, idempotencyKey: null };

export type PaymentAttempt =
  | { outcome: 'paid'; record: SessionRecord }
  | { outcome: 'declined'; message: string; code: string }
  | { outcome: 'invalid'; message: string };

/**
 * The money rules of the stand-in: sessions, payment intents, charges and refunds, and the
 * events each change produces. Everything here runs synchronously between two awaits, which
 * is what makes each API call atomic without locks.
 */
export class Ledger {
  constructor(
    readonly state: StandInState,
    private readonly apiVersion: string,
    private readonly webhookCount: () => number,
    private readonly published: (record: EventRecord) => void,
  ) {}

  session(id: string): SessionRecord {
    const record = this.state.sessions[id];
    if (!record) throw resourceMissing('checkout.session', id, 'session');
    return record;
  }

  paymentIntent(id: string): PaymentIntentObject {
    const pi = this.state.paymentIntents[id];
    if (!pi) throw resourceMissing('payment_intent', id, 'intent');
    return pi;
  }

  addSession(record: SessionRecord): void {
    this.state.sessions[record.session.id] = record;
  }

  /** What happens when the buyer submits a card on the hosted page. */
  attemptPayment(sessionId: string, cardNumber: string, cardholderName?: string): PaymentAttempt {
    const record = this.session(sessionId);
    this.expireIfDue(record);
    const { session } = record;
    if (session.status !== 'open') {
      throw stateError(
        `This Checkout Session is no longer open (status ${session.status}).`,
        'checkout_session_not_open',
      );
    }
    const card = classifyCard(cardNumber);
    if (card.kind === 'invalid') return { outcome: 'invalid', message: card.message };

    const pi = this.ensurePaymentIntent(record);
    if (card.kind === 'declined') {
      pi.last_payment_error = {
        type: 'card_error',
        code: card.code,
        ...(card.declineCode ? { decline_code: card.declineCode } : {}),
        message: card.message,
      };
      pi.status = 'requires_payment_method';
      this.emit('payment_intent.payment_failed', pi, session.id);
      return { outcome: 'declined', message: card.message, code: card.code };
    }

    const manual = pi.capture_method === 'manual';
    const charge: ChargeObject = {
      id: newId('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: manual ? 0 : pi.amount,
      amount_refunded: 0,
      captured: !manual,
      created: nowSeconds(),
      currency: pi.currency,
      livemode: false,
      metadata: { ...pi.metadata },
      paid: true,
      payment_intent: pi.id,
      payment_method_details: {
        type: 'card',
        card: {
          brand: card.brand,
          last4: card.last4,
          fingerprint: card.fingerprint,
          exp_month: 12,
          exp_year: new Date().getUTCFullYear() + 3,
        },
      },
      billing_details: { name: cardholderName?.trim() || null },
      disputed: false,
      refunded: false,
      status: 'succeeded',
    };
    this.state.charges[charge.id] = charge;
    if (card.disputeReason) this.state.disputeOnCapture[charge.id] = card.disputeReason;
    Object.assign(pi, {
      latest_charge: charge.id,
      last_payment_error: null,
      payment_method: newId('pm'),
      status: manual ? 'requires_capture' : 'succeeded',
      amount_capturable: manual ? pi.amount : 0,
      amount_received: manual ? 0 : pi.amount,
    });
    this.emit('charge.succeeded', charge, session.id);
    this.emit(
      manual ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded',
      pi,
      session.id,
    );

    // Funds are only held, not moved, until capture: see README on `payment_status`.
    session.payment_status = manual ? 'unpaid' : 'paid';
    session.status = 'complete';
    session.url = null;
    session.customer_details = { email: session.customer_email, name: cardholderName?.trim() || null };
    this.emit('checkout.session.completed', session, session.id);
    if (!manual) this.disputeIfFlagged(pi, NO_REQUEST);
    return { outcome: 'paid', record };
  }

  expireSession(sessionId: string, ctx: RequestContext = NO_REQUEST): SessionRecord {
    const record = this.session(sessionId);
    const { session } = record;
    if (session.status !== 'open') {
      throw stateError(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
      );
    }
    session.status = 'expired';
    session.url = null;
    const pi = session.payment_intent ? this.state.paymentIntents[session.payment_intent] : undefined;
    if (pi && pi.status === 'requires_payment_method') {
      this.markCanceled(pi, 'abandoned');
      this.emit('payment_intent.canceled', pi, session.id, ctx);
    }
    this.emit('checkout.session.expired', session, session.id, ctx);
    return record;
  }

  /** Sessions run out at `expires_at` on their own, as on Stripe. */
  expireDueSessions(): void {
    for (const record of Object.values(this.state.sessions)) this.expireIfDue(record);
  }

  capture(piId: string, amountToCapture: number | undefined, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(piId);
    if (pi.status !== 'requires_capture') {
      throw stateError(
        `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
        'payment_intent_unexpected_state',
        { payment_intent: structuredClone(pi) },
      );
    }
    const amount = amountToCapture ?? pi.amount_capturable;
    if (amount <= 0 || amount > pi.amount_capturable) {
      throw stateError(
        `The amount_to_capture must be greater than 0 and at most the amount capturable (${pi.amount_capturable}).`,
        'amount_too_large',
        { param: 'amount_to_capture' },
      );
    }
    const charge = this.chargeOf(pi);
    charge.captured = true;
    charge.amount_captured = amount;
    // Stripe releases the part that was not captured by refunding it on the charge.
    charge.amount_refunded = charge.amount - amount;
    Object.assign(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
    const sessionId = this.state.sessionByPaymentIntent[pi.id];
    const session = sessionId ? this.state.sessions[sessionId]?.session : undefined;
    if (session) session.payment_status = 'paid';
    const key = sessionId ?? pi.id;
    this.emit('charge.captured', charge, key, ctx);
    this.emit('payment_intent.succeeded', pi, key, ctx);
    this.disputeIfFlagged(pi, ctx);
    return pi;
  }

  /**
   * The card holder's bank disputes a captured payment: a Dispute for what is left on the
   * charge (or `amount`), `charge.dispute.created`. Stripe's test cards do this by themselves
   * after the charge; here also on demand (`dispute()` on the stand-in's handle).
   */
  dispute(
    piId: string,
    reason = 'fraudulent',
    amount?: number,
    ctx: RequestContext = NO_REQUEST,
  ): DisputeObject {
    const pi = this.paymentIntent(piId);
    if (pi.status !== 'succeeded')
      throw stateError(`Only a captured payment can be disputed; ${pi.id} is ${pi.status}.`);
    const charge = this.chargeOf(pi);
    if (charge.disputed) throw stateError(`Charge ${charge.id} is already disputed.`, 'charge_disputed');
    const value =
      amount ?? charge.amount_captured - (charge.amount_refunded - (charge.amount - charge.amount_captured));
    const dispute: DisputeObject = {
      id: newId('dp'),
      object: 'dispute',
      amount: value,
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
      payment_intent: pi.id,
      reason,
      status: 'needs_response',
    };
    this.state.disputes[dispute.id] = dispute;
    charge.disputed = true;
    this.emit('charge.dispute.created', dispute, this.state.sessionByPaymentIntent[pi.id] ?? pi.id, ctx);
    return dispute;
  }

  private disputeIfFlagged(pi: PaymentIntentObject, ctx: RequestContext): void {
    const chargeId = pi.latest_charge;
    const reason = chargeId ? this.state.disputeOnCapture[chargeId] : undefined;
    if (!chargeId || !reason) return;
    delete this.state.disputeOnCapture[chargeId];
    this.dispute(pi.id, reason, undefined, ctx);
  }

  cancel(piId: string, reason: string | undefined, ctx: RequestContext): PaymentIntentObject {
    const pi = this.paymentIntent(piId);
    if (pi.status !== 'requires_capture' && pi.status !== 'requires_payment_method') {
      throw stateError(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        'payment_intent_unexpected_state',
        { payment_intent: structuredClone(pi) },
      );
    }
    const sessionId = this.state.sessionByPaymentIntent[pi.id];
    if (sessionId && this.state.sessions[sessionId]?.session.status === 'open') {
      throw stateError(
        'You cannot cancel this PaymentIntent because it was created by Checkout. To cancel it, expire the Checkout Session instead.',
      );
    }
    const charge = pi.latest_charge ? this.state.charges[pi.latest_charge] : undefined;
    if (charge && !charge.captured) {
      // Releasing an authorization shows on the charge as a full refund, with no Refund object.
      charge.amount_refunded = charge.amount;
      charge.refunded = true;
    }
    this.markCanceled(pi, reason ?? null);
    this.emit('payment_intent.canceled', pi, sessionId ?? pi.id, ctx);
    return pi;
  }

  refund(
    piId: string,
    amount: number | undefined,
    fields: { reason: string | null; metadata: Record<string, string> },
    ctx: RequestContext,
  ): RefundObject {
    const pi = this.paymentIntent(piId);
    if (pi.status !== 'succeeded') {
      throw stateError(
        `This PaymentIntent (${pi.id}) does not have a successful charge to refund (its status is ${pi.status}). Cancel an uncaptured PaymentIntent instead.`,
        pi.status === 'requires_capture' ? 'charge_not_refundable' : undefined,
      );
    }
    const charge = this.chargeOf(pi);
    const refundable =
      charge.amount_captured - (charge.amount_refunded - (charge.amount - charge.amount_captured));
    if (refundable <= 0)
      throw stateError(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
    const value = amount ?? refundable;
    if (value <= 0)
      throw stateError('Refund amount must be greater than 0.', 'parameter_invalid_integer', {
        param: 'amount',
      });
    if (value > refundable) {
      throw stateError(
        `Refund amount (${value}) is greater than unrefunded amount on charge (${refundable})`,
        'amount_too_large',
        { param: 'amount' },
      );
    }
    const refund: RefundObject = {
      id: newId('re'),
      object: 'refund',
      amount: value,
      charge: charge.id,
      created: nowSeconds(),
      currency: charge.currency,
      metadata: fields.metadata,
      payment_intent: pi.id,
      reason: fields.reason,
      status: 'succeeded',
    };
    this.state.refunds[refund.id] = refund;
    charge.amount_refunded += value;
    charge.refunded = charge.amount_refunded >= charge.amount;
    const key = this.state.sessionByPaymentIntent[pi.id] ?? pi.id;
    this.emit('refund.created', refund, key, ctx);
    this.emit('charge.refunded', charge, key, ctx);
    return refund;
  }

  private expireIfDue(record: SessionRecord): void {
    if (record.session.status === 'open' && record.session.expires_at <= nowSeconds())
      this.expireSession(record.session.id);
  }

  private ensurePaymentIntent(record: SessionRecord): PaymentIntentObject {
    const { session } = record;
    const existing = session.payment_intent ? this.state.paymentIntents[session.payment_intent] : undefined;
    if (existing) return existing;
    const id = newId('pi');
    const pi: PaymentIntentObject = {
      id,
      object: 'payment_intent',
      amount: session.amount_total,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: record.paymentIntentData.captureMethod,
      client_secret: `${id}_secret_${newId('s', 24).slice(2)}`,
      created: nowSeconds(),
      currency: session.currency,
      description: record.paymentIntentData.description,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: { ...record.paymentIntentData.metadata },
      payment_method: null,
      payment_method_types: ['card'],
      status: 'requires_payment_method',
    };
    this.state.paymentIntents[id] = pi;
    this.state.sessionByPaymentIntent[id] = session.id;
    session.payment_intent = id;
    this.emit('payment_intent.created', pi, session.id);
    return pi;
  }

  private chargeOf(pi: PaymentIntentObject): ChargeObject {
    const charge = pi.latest_charge ? this.state.charges[pi.latest_charge] : undefined;
    if (!charge) throw new Error(`payment intent ${pi.id} has no charge`);
    return charge;
  }

  private markCanceled(pi: PaymentIntentObject, reason: string | null): void {
    Object.assign(pi, {
      status: 'canceled',
      canceled_at: nowSeconds(),
      cancellation_reason: reason,
      amount_capturable: 0,
    });
  }

  private emit(type: string, object: object, orderKey: string, ctx: RequestContext = NO_REQUEST): void {
    const record: EventRecord = {
      event: {
        id: newId('evt'),
        object: 'event',
        api_version: this.apiVersion,
        created: nowSeconds(),
        data: { object: structuredClone(object) },
        livemode: false,
        pending_webhooks: this.webhookCount(),
        request: { id: ctx.id, idempotency_key: ctx.idempotencyKey },
        type,
      },
      orderKey,
      delivery: { status: 'pending', attempts: 0, lastError: null, deliveredAt: null },
    };
    this.state.events[record.event.id] = record;
    this.published(record);
  }
}

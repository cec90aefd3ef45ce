/**
 * The port the domain talks to for money movement. Only the Stripe adapter knows the
 * Stripe SDK; the domain sees these few operations and plain objects.
 */
export interface CheckoutRequest {
  orderId: string;
  eventId: string;
  attempt: number;
  amountMinor: number;
  currency: string;
  description: string;
  customerEmail?: string;
  successUrl: string;
  cancelUrl: string;
  /** Omitted when the hold is shorter than the processor's minimum session lifetime. */
  expiresAt?: Date;
}

export interface CheckoutSession {
  sessionId: string;
  url: string;
  expiresAt: Date;
}

/** A Checkout Session as Stripe has it now. */
export interface CheckoutState {
  sessionId: string;
  status: 'open' | 'complete' | 'expired';
  /** From the session's metadata (set at checkout). */
  orderId: string | undefined;
  /** The session's intent with its card's fingerprint, once the fan paid. */
  intent: PaymentIntentView | undefined;
  customerName: string | undefined;
}

export type IntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface PaymentIntentView {
  id: string;
  status: IntentStatus;
  amountMinor: number;
  currency: string;
  /**
   * The card's fingerprint (Stripe's `payment_method_details.card.fingerprint` of the latest
   * charge): the same for every payment with one card number. Known when the charge came with
   * the intent (`retrieveIntent` expands it; a webhook's intent only names the charge).
   */
  cardFingerprint?: string;
}

/** A verified webhook event, reduced to what the domain acts on. */
export type GatewayEvent =
  | {
      id: string;
      type: 'checkout.session.completed';
      sessionId: string;
      orderId: string | undefined;
      paymentIntentId: string | undefined;
      /** The name given at checkout (the cardholder's), when there is one. */
      customerName: string | undefined;
    }
  | { id: string; type: 'checkout.session.expired'; sessionId: string; orderId: string | undefined }
  /**
   * The card was authorized: the intent as it stood then (`requires_capture`), with the order
   * from the metadata set at checkout. Carries all the authorization needs, so it is
   * recorded without asking Stripe again.
   */
  | {
      id: string;
      type: 'payment_intent.amount_capturable_updated';
      intent: PaymentIntentView;
      orderId: string | undefined;
    }
  /**
   * The card was authorized, told by its charge (Stripe sends `charge.succeeded` for an
   * uncaptured charge just before `payment_intent.amount_capturable_updated`). Only charges
   * that hold money uncaptured for an intent of one of our orders (`orderId` in the metadata
   * Checkout copies from the intent) become this; the intent is built from the charge, in
   * `requires_capture`, with the card's fingerprint: nothing needs asking of Stripe.
   */
  | {
      id: string;
      type: 'charge.succeeded';
      intent: PaymentIntentView;
      orderId: string;
    }
  /** Money of the payment went back: by us, or by someone in Stripe's dashboard (the refunds tell which). */
  | { id: string; type: 'charge.refunded'; paymentIntentId: string | undefined }
  /** The card holder's bank disputes the payment (a chargeback). */
  | {
      id: string;
      type: 'charge.dispute.created';
      disputeId: string;
      paymentIntentId: string | undefined;
      amountMinor: number;
      reason: string;
    }
  | { id: string; type: 'other'; stripeType: string };

/** A refund as the processor has it; `refundId` is ours when we asked for it (its metadata). */
export interface GatewayRefund {
  stripeRefundId: string;
  amountMinor: number;
  refundId: string | undefined;
  status: string;
}

/** A refusal by the processor that retrying will not change (as opposed to an outage). */
export class GatewayRefusal extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'GatewayRefusal';
  }
}

/** The webhook's signature did not verify (forged, altered, or older than the tolerance). */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

export interface PaymentGateway {
  createCheckout(req: CheckoutRequest): Promise<CheckoutSession>;
  /** Closes an open session; a session that is already complete or expired is left alone. */
  expireCheckout(sessionId: string): Promise<void>;
  retrieveIntent(paymentIntentId: string): Promise<PaymentIntentView>;
  /** A Checkout Session as it stands, with its intent and the intent's card (for the fan's return from paying). */
  retrieveCheckout(sessionId: string): Promise<CheckoutState>;
  capture(paymentIntentId: string): Promise<PaymentIntentView>;
  cancel(paymentIntentId: string): Promise<PaymentIntentView>;
  /**
   * Refunds `amountMinor` (default: everything left) of a captured payment, once per
   * `refundId` (the idempotency key and the refund's metadata, so its webhook is known as ours).
   */
  refund(
    paymentIntentId: string,
    r: { refundId: string; amountMinor?: number },
  ): Promise<{ stripeRefundId: string; amountMinor: number }>;
  /** Every refund of the payment at the processor (at most 100, newest first). */
  listRefunds(paymentIntentId: string): Promise<GatewayRefund[]>;
  verifyWebhook(rawBody: Buffer, signature: string | undefined): GatewayEvent;
}

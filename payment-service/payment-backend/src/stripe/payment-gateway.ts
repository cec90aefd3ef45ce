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
}

/** A verified webhook event, reduced to what the domain acts on. */
export type GatewayEvent =
  | {
      id: string;
      type: 'checkout.session.completed';
      sessionId: string;
      orderId: string | undefined;
      paymentIntentId: string | undefined;
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
  | { id: string; type: 'other'; stripeType: string };

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
  capture(paymentIntentId: string): Promise<PaymentIntentView>;
  cancel(paymentIntentId: string): Promise<PaymentIntentView>;
  refund(paymentIntentId: string): Promise<void>;
  verifyWebhook(rawBody: Buffer, signature: string | undefined): GatewayEvent;
}

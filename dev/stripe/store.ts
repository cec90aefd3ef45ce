import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type SessionStatus = 'open' | 'complete' | 'expired';
export type PaymentStatus = 'paid' | 'unpaid' | 'no_payment_required';
export type PaymentIntentStatus = 'requires_payment_method' | 'requires_capture' | 'succeeded' | 'canceled';

export interface LineItemObject {
  id: string;
  object: 'item';
  amount_discount: number;
  amount_subtotal: number;
  amount_tax: number;
  amount_total: number;
  currency: string;
  description: string;
  quantity: number;
  price: {
    id: string;
    object: 'price';
    currency: string;
    unit_amount: number;
    product: string;
    type: 'one_time';
    active: boolean;
  };
}

export interface CheckoutSessionObject {
  id: string;
  object: 'checkout.session';
  amount_subtotal: number;
  amount_total: number;
  cancel_url: string | null;
  client_reference_id: string | null;
  created: number;
  currency: string;
  customer_details: { email: string | null; name: string | null } | null;
  customer_email: string | null;
  expires_at: number;
  livemode: false;
  metadata: Record<string, string>;
  mode: 'payment';
  payment_intent: string | null;
  payment_method_types: string[];
  payment_status: PaymentStatus;
  status: SessionStatus;
  success_url: string | null;
  url: string | null;
}

export interface SessionRecord {
  session: CheckoutSessionObject;
  lineItems: LineItemObject[];
  paymentIntentData: {
    captureMethod: 'manual' | 'automatic';
    metadata: Record<string, string>;
    description: string | null;
  };
}

export interface PaymentErrorObject {
  type: 'card_error';
  code: string;
  decline_code?: string;
  message: string;
}

export interface PaymentIntentObject {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'manual' | 'automatic';
  client_secret: string;
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: PaymentErrorObject | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_types: string[];
  status: PaymentIntentStatus;
}

export interface ChargeObject {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  livemode: false;
  metadata: Record<string, string>;
  paid: boolean;
  payment_intent: string;
  payment_method_details: {
    type: 'card';
    card: { brand: string; last4: string; fingerprint: string; exp_month: number; exp_year: number };
  };
  billing_details: { name: string | null };
  /** Whether a dispute was opened on it. */
  disputed: boolean;
  refunded: boolean;
  status: 'succeeded';
}

/** A chargeback the card holder's bank opened (`charge.dispute.created`). */
export interface DisputeObject {
  id: string;
  object: 'dispute';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  is_charge_refundable: boolean;
  livemode: false;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string;
  status: 'needs_response';
}

export interface RefundObject {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded';
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: unknown };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'no_endpoint';

export interface EventRecord {
  event: StripeEvent;
  /** Events sharing a key (one checkout: its session, payment intent, charge, refunds) are delivered in order. */
  orderKey: string;
  delivery: {
    status: DeliveryStatus;
    attempts: number;
    lastError: string | null;
    deliveredAt: number | null;
    /** When the first attempt was sent (ms): with deliveredAt, the receiver's own time (bench traces). */
    firstSentAt?: number;
  };
}

export interface IdempotencyRecord {
  endpoint: string;
  params: string;
  status: number;
  body: string;
  requestId: string;
  createdAt: number;
}

export interface StandInState {
  sessions: Record<string, SessionRecord>;
  paymentIntents: Record<string, PaymentIntentObject>;
  charges: Record<string, ChargeObject>;
  refunds: Record<string, RefundObject>;
  disputes: Record<string, DisputeObject>;
  /** Charges paid with a card that gets disputed once its money is captured (4000 0000 0000 0259). */
  disputeOnCapture: Record<string, string>;
  events: Record<string, EventRecord>;
  idempotency: Record<string, IdempotencyRecord>;
  /** Real payment intents do not name their Checkout Session; we need it to order their events. */
  sessionByPaymentIntent: Record<string, string>;
}

export function emptyState(): StandInState {
  return {
    sessions: {},
    paymentIntents: {},
    charges: {},
    refunds: {},
    disputes: {},
    disputeOnCapture: {},
    events: {},
    idempotency: {},
    sessionByPaymentIntent: {},
  };
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function newId(prefix: string, length = 24): string {
  let out = '';
  while (out.length < length) {
    // 248 is the largest multiple of 62 below 256: rejecting above it keeps every character equally likely.
    for (const b of randomBytes(length)) if (b < 248 && out.length < length) out += ALPHABET[b % 62];
  }
  return `${prefix}_${out}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Keeps the state in a JSON file so restarting `npm start` does not lose sessions the
 * services still reference. Writes go to a temporary file renamed over the old one, so a
 * crash mid-write leaves the previous state rather than half a file.
 */
export class StateFile {
  constructor(private readonly file: string) {}

  load(): StandInState | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return { ...emptyState(), ...(JSON.parse(text) as Partial<StandInState>) };
  }

  save(state: StandInState): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, this.file);
  }
}

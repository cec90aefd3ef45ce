import type { DataSource } from 'typeorm';
import {
  envelope,
  enqueueMessages,
  processOnce,
  queryOne,
  queryRows,
  type Payload,
  type Queryable,
  type TopicName,
} from '@ticketslave/common';

export type OrderStatus = 'pending' | 'completed' | 'expired' | 'cancelled';
export type SessionStatus = 'open' | 'complete' | 'expired';
export type PaymentStatus = 'authorized' | 'captured' | 'voided' | 'refunded' | 'failed';

export interface OrderRow {
  orderId: string;
  eventId: string;
  userId: string;
  admissionId: string;
  amountMinor: number;
  currency: string;
  expiresAt: Date;
  status: OrderStatus;
}
export interface SessionRow {
  sessionId: string;
  orderId: string;
  attempt: number;
  url: string | null;
  status: SessionStatus;
  expiresAt: Date;
}
export interface PaymentRow {
  orderId: string;
  paymentIntentId: string;
  eventId: string;
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
  reason: string | null;
}
export interface EventRow {
  eventId: string;
  organiserId: string;
  title: string;
  cancelled: boolean;
}

const ORDER_COLS = `order_id AS "orderId", event_id AS "eventId", user_id AS "userId",
  admission_id AS "admissionId", amount_minor AS "amountMinor", currency, expires_at AS "expiresAt", status`;
const SESSION_COLS = `session_id AS "sessionId", order_id AS "orderId", attempt, url, status, expires_at AS "expiresAt"`;
const PAYMENT_COLS = `order_id AS "orderId", payment_intent_id AS "paymentIntentId", event_id AS "eventId",
  amount_minor AS "amountMinor", currency, status, reason`;

/** The payment schema as plain objects; every method runs in the caller's transaction. */
export class PaymentRepository {
  constructor(private readonly ds: DataSource) {}

  get db(): Queryable {
    return this.ds;
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.ds.transaction((em) => fn(em));
  }

  /** Runs `fn` once per (consumer, message id), the id recorded with the effect. */
  once(consumer: string, messageId: string, fn: (tx: Queryable) => Promise<void>): Promise<boolean> {
    return processOnce(this.ds, consumer, messageId, (em) => fn(em));
  }

  async emit<T extends TopicName>(tx: Queryable, topic: T, payload: Payload<T>): Promise<void> {
    await enqueueMessages(tx, [{ topic, envelope: envelope(topic, payload) }]);
  }

  // Events: only what payment needs (who may refund, what to call the line item).
  async upsertEvent(
    tx: Queryable,
    e: { eventId: string; organiserId: string; title: string; version: number },
  ) {
    await tx.query(
      `INSERT INTO events (event_id, organiser_id, title, version) VALUES ($1, $2, $3, $4)
       ON CONFLICT (event_id) DO UPDATE SET organiser_id = $2, title = $3, version = $4
       WHERE events.version < $4`,
      [e.eventId, e.organiserId, e.title, e.version],
    );
  }

  async markEventCancelled(tx: Queryable, eventId: string): Promise<void> {
    // The snapshot may not have reached us; the flag must stick regardless.
    await tx.query(
      `INSERT INTO events (event_id, organiser_id, title, version, cancelled) VALUES ($1, '', '', 0, true)
       ON CONFLICT (event_id) DO UPDATE SET cancelled = true`,
      [eventId],
    );
  }

  event(tx: Queryable, eventId: string): Promise<EventRow | undefined> {
    return queryOne<EventRow>(
      tx,
      `SELECT event_id AS "eventId", organiser_id AS "organiserId", title, cancelled FROM events WHERE event_id = $1`,
      [eventId],
    );
  }

  // Orders
  async insertOrder(
    tx: Queryable,
    o: Omit<OrderRow, 'status'>,
    status: OrderStatus = 'pending',
  ): Promise<void> {
    await tx.query(
      `INSERT INTO orders (order_id, event_id, user_id, admission_id, amount_minor, currency, expires_at, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (order_id) DO NOTHING`,
      [o.orderId, o.eventId, o.userId, o.admissionId, o.amountMinor, o.currency, o.expiresAt, status],
    );
  }

  order(tx: Queryable, orderId: string, lock = false): Promise<OrderRow | undefined> {
    return queryOne<OrderRow>(
      tx,
      `SELECT ${ORDER_COLS} FROM orders WHERE order_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [orderId],
    );
  }

  /** Moves an order to `to` only from one of `from`, so late or reordered messages cannot undo a later state. */
  async setOrderStatus(
    tx: Queryable,
    orderId: string,
    to: OrderStatus,
    from: OrderStatus[],
  ): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `UPDATE orders SET status = $2 WHERE order_id = $1 AND status = ANY($3::text[]) RETURNING 1`,
      [orderId, to, from],
    );
    return rows.length > 0;
  }

  // Checkout Sessions
  openSession(tx: Queryable, orderId: string): Promise<SessionRow | undefined> {
    return queryOne<SessionRow>(
      tx,
      `SELECT ${SESSION_COLS} FROM checkout_sessions WHERE order_id = $1 AND status = 'open'`,
      [orderId],
    );
  }

  async lastAttempt(tx: Queryable, orderId: string): Promise<number> {
    const row = await queryOne<{ n: number }>(
      tx,
      `SELECT coalesce(max(attempt), 0)::int AS n FROM checkout_sessions WHERE order_id = $1`,
      [orderId],
    );
    return row?.n ?? 0;
  }

  async insertSession(tx: Queryable, s: Omit<SessionRow, 'status'>): Promise<void> {
    await tx.query(
      `INSERT INTO checkout_sessions (session_id, order_id, attempt, url, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [s.sessionId, s.orderId, s.attempt, s.url, s.expiresAt],
    );
  }

  async closeSession(tx: Queryable, sessionId: string, to: Exclude<SessionStatus, 'open'>): Promise<void> {
    await tx.query(
      `UPDATE checkout_sessions SET status = $2, url = NULL WHERE session_id = $1 AND status = 'open'`,
      [sessionId, to],
    );
  }

  openSessionsOfEvent(tx: Queryable, eventId: string): Promise<SessionRow[]> {
    return queryRows<SessionRow>(
      tx,
      `SELECT ${SESSION_COLS.replace(/(session_id|order_id|attempt|url|status|expires_at) AS/g, 's.$1 AS')}
       FROM checkout_sessions s JOIN orders o USING (order_id) WHERE o.event_id = $1 AND s.status = 'open'`,
      [eventId],
    );
  }

  // Payments
  payment(tx: Queryable, orderId: string): Promise<PaymentRow | undefined> {
    return queryOne<PaymentRow>(tx, `SELECT ${PAYMENT_COLS} FROM payments WHERE order_id = $1`, [orderId]);
  }

  /** Returns false when the order already has a payment (the first authorization wins). */
  async insertPayment(tx: Queryable, p: Omit<PaymentRow, 'reason'>): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `INSERT INTO payments (order_id, payment_intent_id, event_id, amount_minor, currency, status)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1`,
      [p.orderId, p.paymentIntentId, p.eventId, p.amountMinor, p.currency, p.status],
    );
    return rows.length > 0;
  }

  /** Status-checked transition: only one caller moves a payment out of `from`. */
  transitionPayment(
    tx: Queryable,
    orderId: string,
    from: PaymentStatus,
    to: PaymentStatus,
    reason?: string,
  ): Promise<PaymentRow | undefined> {
    return queryOne<PaymentRow>(
      tx,
      `UPDATE payments SET status = $3, reason = coalesce($4, reason), updated_at = now()
       WHERE order_id = $1 AND status = $2 RETURNING ${PAYMENT_COLS}`,
      [orderId, from, to, reason ?? null],
    );
  }

  paymentsOfEvent(tx: Queryable, eventId: string, statuses: PaymentStatus[]): Promise<PaymentRow[]> {
    return queryRows<PaymentRow>(
      tx,
      `SELECT ${PAYMENT_COLS} FROM payments WHERE event_id = $1 AND status = ANY($2::text[]) ORDER BY order_id`,
      [eventId, statuses],
    );
  }

  // Stripe events: each id applied once, in the same transaction as its effect.
  async recordStripeEvent(tx: Queryable, id: string, type: string): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `INSERT INTO stripe_events (stripe_event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [id, type],
    );
    return rows.length > 0;
  }
}

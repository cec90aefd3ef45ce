import type { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  envelope,
  enqueueMessages,
  enqueueMessagesSql,
  preparedStatements,
  processOnce,
  queryOne,
  queryRows,
  sqlArgs,
  sqlLiteral,
  type OutgoingMessage,
  type Payload,
  type PreparedStatements,
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
/** An order as its fan's payment page shows it (`fanView`). */
export interface FanViewRow {
  order: OrderRow;
  payment: { status: PaymentStatus; reason: string | null } | null;
  openSession: { sessionId: string; url: string | null; expiresAt: Date } | null;
  eventTitle: string | null;
  eventCancelled: boolean;
  /** The order's last Checkout Session attempt (0: none yet); null unless asked for (`fanView`). */
  lastAttempt: number | null;
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
  /** How much of it went back so far (the payment is `refunded` once all of it did). */
  refundedMinor: number;
  buyerName: string | null;
}

export type RefundSource = 'organiser' | 'stripe' | 'event_cancelled' | 'payment';

export interface RefundRow {
  refundId: string;
  orderId: string;
  amountMinor: number;
  source: RefundSource;
  reason: string | null;
  status: 'pending' | 'succeeded' | 'failed';
  stripeRefundId: string | null;
}

const ORDER_COLS = `order_id AS "orderId", event_id AS "eventId", user_id AS "userId",
  admission_id AS "admissionId", amount_minor AS "amountMinor", currency, expires_at AS "expiresAt", status`;
const SESSION_COLS = `session_id AS "sessionId", order_id AS "orderId", attempt, url, status, expires_at AS "expiresAt"`;
const PAYMENT_COLS = `order_id AS "orderId", payment_intent_id AS "paymentIntentId", event_id AS "eventId",
  amount_minor AS "amountMinor", currency, status, reason, refunded_minor AS "refundedMinor", buyer_name AS "buyerName"`;
const REFUND_COLS = `refund_id AS "refundId", order_id AS "orderId", amount_minor AS "amountMinor", source, reason,
  status, stripe_refund_id AS "stripeRefundId"`;

/** What `authorize_payment` (sql/authorize.sql) answers. */
const AuthorizeAnswer = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('duplicate') }),
  z.object({ outcome: z.literal('no_order') }),
  z.object({ outcome: z.literal('not_authorized') }),
  z.object({
    outcome: z.literal('stray'),
    amountMinor: z.number().int().optional(),
    currency: z.string().optional(),
  }),
  z.object({
    outcome: z.literal('authorized'),
    eventId: z.string(),
    amountMinor: z.number().int(),
    currency: z.string(),
  }),
]);
export type AuthorizeAnswer = z.infer<typeof AuthorizeAnswer>;
export type AuthorizedOrder = Extract<AuthorizeAnswer, { outcome: 'authorized' }>;

/** An authorization as `authorize` records it. */
export interface AuthorizationInput {
  /** The Stripe event (or `return:<session>` for the fan's return), remembered once. */
  stripeEventId: string;
  type: string;
  /** The Checkout Session it completes, if known. */
  sessionId?: string;
  orderId?: string;
  intent?: { id: string; status: string; amountMinor: number; currency: string };
  /** Trimmed, at most 200 characters; undefined when none was given. */
  buyerName?: string;
}

/**
 * The payment schema as plain objects; every method runs in the caller's transaction, but
 * for the money path's own (`authorize`, `settle`), each a transaction in two round trips.
 */
export class PaymentRepository {
  private readonly prepared: PreparedStatements;

  /**
   * @param wakeOutbox called after a commit of `authorize` or `settle` that wrote a message:
   *   those write the outbox without NOTIFY (which serialises commits server-wide), outside
   *   the ORM whose commits wake the relay by themselves.
   */
  constructor(
    private readonly ds: DataSource,
    private readonly wakeOutbox: () => void = () => undefined,
  ) {
    this.prepared = preparedStatements(ds);
  }

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

  /**
   * What purchase said of an order, recorded in one statement (no transaction): the order is
   * inserted in state `to` if payment had not heard of it yet, else moved to `to` when it is
   * in one of `from` (a status-checked update: a redelivery or a message from another topic
   * arriving in any order moves nothing twice). The capture's path (issue 21): before, an
   * insert and an update, each in a transaction of its own.
   */
  async recordOrderStatus(
    tx: Queryable,
    o: Omit<OrderRow, 'status'>,
    to: OrderStatus,
    from: OrderStatus[],
    /** Why it was cancelled (`to` = cancelled): what a void of its authorization says. */
    cancelReason?: string,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO orders (order_id, event_id, user_id, admission_id, amount_minor, currency, expires_at, status, cancel_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10)
       ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, cancel_reason = EXCLUDED.cancel_reason
         WHERE orders.status = ANY($9::text[])`,
      [
        o.orderId,
        o.eventId,
        o.userId,
        o.admissionId,
        o.amountMinor,
        o.currency,
        o.expiresAt,
        to,
        from,
        cancelReason ?? null,
      ],
    );
  }

  /**
   * An order's payment and whether the money must not be taken (the order cancelled, or its
   * event), in one read: what a capture or a void decides on.
   */
  async standing(tx: Queryable, orderId: string): Promise<{ payment?: PaymentRow; calledOff?: string }> {
    const row = await queryOne<
      Partial<PaymentRow> & {
        orderStatus: OrderStatus | null;
        cancelReason: string | null;
        eventCancelled: boolean | null;
      }
    >(
      tx,
      `SELECT p.order_id AS "orderId", p.payment_intent_id AS "paymentIntentId", p.event_id AS "eventId",
              p.amount_minor AS "amountMinor", p.currency, p.status, p.reason, p.refunded_minor AS "refundedMinor",
              p.buyer_name AS "buyerName", o.status AS "orderStatus", o.cancel_reason AS "cancelReason",
              e.cancelled AS "eventCancelled"
         FROM (SELECT $1::uuid AS order_id) k
         LEFT JOIN payments p ON p.order_id = k.order_id
         LEFT JOIN orders o ON o.order_id = k.order_id
         LEFT JOIN events e ON e.event_id = o.event_id`,
      [orderId],
    );
    if (!row) return {};
    const { orderStatus, cancelReason, eventCancelled, ...payment } = row;
    const calledOff =
      orderStatus === 'cancelled'
        ? (cancelReason ?? 'order_cancelled')
        : eventCancelled
          ? 'event_cancelled'
          : undefined;
    return {
      ...(payment.orderId ? { payment: payment as PaymentRow } : {}),
      ...(calledOff ? { calledOff } : {}),
    };
  }

  /**
   * What the fan's payment page shows of an order and what opening a checkout decides on, in
   * one read (one pool checkout, which an on-sale's payment service queues for): the order,
   * its payment, its open Checkout Session and its event; its last attempt with
   * `withLastAttempt` (opening a checkout needs it; the page's polled reads do not).
   */
  async fanView(tx: Queryable, orderId: string, withLastAttempt = false): Promise<FanViewRow | undefined> {
    const row = await queryOne<
      OrderRow & {
        paymentStatus: PaymentStatus | null;
        paymentReason: string | null;
        sessionId: string | null;
        sessionUrl: string | null;
        sessionExpiresAt: Date | null;
        eventTitle: string | null;
        eventCancelled: boolean | null;
        lastAttempt: number | null;
      }
    >(
      tx,
      `SELECT o.order_id AS "orderId", o.event_id AS "eventId", o.user_id AS "userId", o.admission_id AS "admissionId",
              o.amount_minor AS "amountMinor", o.currency, o.expires_at AS "expiresAt", o.status,
              p.status AS "paymentStatus", p.reason AS "paymentReason",
              s.session_id AS "sessionId", s.url AS "sessionUrl", s.expires_at AS "sessionExpiresAt",
              e.title AS "eventTitle", e.cancelled AS "eventCancelled",
              ${
                withLastAttempt
                  ? '(SELECT coalesce(max(a.attempt), 0)::int FROM checkout_sessions a WHERE a.order_id = o.order_id)'
                  : 'NULL::int'
              } AS "lastAttempt"
         FROM orders o
         LEFT JOIN payments p ON p.order_id = o.order_id
         LEFT JOIN checkout_sessions s ON s.order_id = o.order_id AND s.status = 'open'
         LEFT JOIN events e ON e.event_id = o.event_id
        WHERE o.order_id = $1`,
      [orderId],
    );
    if (!row) return undefined;
    const {
      paymentStatus,
      paymentReason,
      sessionId,
      sessionUrl,
      sessionExpiresAt,
      eventTitle,
      eventCancelled,
      lastAttempt,
      ...order
    } = row;
    return {
      order,
      payment: paymentStatus ? { status: paymentStatus, reason: paymentReason } : null,
      openSession: sessionId ? { sessionId, url: sessionUrl, expiresAt: sessionExpiresAt! } : null,
      eventTitle,
      eventCancelled: eventCancelled === true,
      lastAttempt,
    };
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

  paymentByIntent(tx: Queryable, paymentIntentId: string): Promise<PaymentRow | undefined> {
    return queryOne<PaymentRow>(tx, `SELECT ${PAYMENT_COLS} FROM payments WHERE payment_intent_id = $1`, [
      paymentIntentId,
    ]);
  }

  // Refunds
  /** Records a refund about to be asked of Stripe (or one Stripe reported); the existing row if the id is known. */
  async insertRefund(
    tx: Queryable,
    r: Omit<RefundRow, 'stripeRefundId'> & { stripeRefundId?: string | null; failure?: string },
  ): Promise<{ row: RefundRow; created: boolean }> {
    const created = await queryOne<RefundRow>(
      tx,
      `INSERT INTO refunds (refund_id, order_id, amount_minor, source, reason, status, stripe_refund_id, failure,
         settled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $6 = 'pending' THEN NULL ELSE now() END)
       ON CONFLICT DO NOTHING RETURNING ${REFUND_COLS}`,
      [
        r.refundId,
        r.orderId,
        r.amountMinor,
        r.source,
        r.reason,
        r.status,
        r.stripeRefundId ?? null,
        r.failure ?? null,
      ],
    );
    if (created) return { row: created, created: true };
    const row = await queryOne<RefundRow>(tx, `SELECT ${REFUND_COLS} FROM refunds WHERE refund_id = $1`, [
      r.refundId,
    ]);
    return { row: row!, created: false };
  }

  refundsOf(tx: Queryable, orderId: string): Promise<RefundRow[]> {
    return queryRows<RefundRow>(
      tx,
      `SELECT ${REFUND_COLS} FROM refunds WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
  }

  /** pending → succeeded or failed, once (status-checked). */
  async settleRefund(
    tx: Queryable,
    refundId: string,
    to: 'succeeded' | 'failed',
    s: { stripeRefundId?: string; failure?: string },
  ): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `UPDATE refunds SET status = $2, stripe_refund_id = coalesce($3, stripe_refund_id), failure = $4,
         settled_at = now() WHERE refund_id = $1 AND status = 'pending' RETURNING 1`,
      [refundId, to, s.stripeRefundId ?? null, s.failure ?? null],
    );
    return rows.length > 0;
  }

  /** Adds a refund's amount to the payment; all of it back makes the payment `refunded`. */
  addRefunded(tx: Queryable, orderId: string, minor: number): Promise<PaymentRow | undefined> {
    return queryOne<PaymentRow>(
      tx,
      `UPDATE payments SET refunded_minor = least(amount_minor, refunded_minor + $2),
         status = CASE WHEN refunded_minor + $2 >= amount_minor THEN 'refunded' ELSE status END, updated_at = now()
       WHERE order_id = $1 AND status IN ('captured', 'refunded') RETURNING ${PAYMENT_COLS}`,
      [orderId, minor],
    );
  }

  // Disputes: each Stripe dispute once.
  async insertDispute(
    tx: Queryable,
    d: { disputeId: string; orderId: string; amountMinor: number; reason: string },
  ): Promise<boolean> {
    const rows = await queryRows(
      tx,
      `INSERT INTO disputes (dispute_id, order_id, amount_minor, reason) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [d.disputeId, d.orderId, d.amountMinor, d.reason],
    );
    return rows.length > 0;
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

  /**
   * Records a card's authorization and, when it is the order's first, writes `announce`'s
   * message (payment.authorized) with it: `authorize_payment` (sql/authorize.sql) and the
   * outbox in one transaction of two round trips (nine as separate statements).
   */
  async authorize(
    a: AuthorizationInput,
    announce: (order: AuthorizedOrder) => OutgoingMessage,
  ): Promise<AuthorizeAnswer> {
    const first = `SELECT authorize_payment(${sqlArgs([
      a.stripeEventId,
      a.type,
      a.sessionId,
      a.orderId,
      a.intent?.id,
      a.intent?.status,
      a.intent?.amountMinor,
      a.intent?.currency,
      a.buyerName,
    ])}) AS r`;
    const answer = await this.prepared.transactionInTwo(first, (rows) => {
      const r = AuthorizeAnswer.parse(rows[0]?.r);
      return {
        last: r.outcome === 'authorized' ? enqueueMessagesSql([announce(r)], { notify: false }) : null,
        result: r,
      };
    });
    if (answer.outcome === 'authorized') this.wakeOutbox();
    return answer;
  }

  /**
   * A checkout's completion after its authorization was recorded (`record_session_completed`,
   * sql/authorize.sql): true when the order's payment is this intent, the event then
   * remembered once, the session closed and the buyer's name kept; false, writing nothing,
   * otherwise. One statement.
   */
  async recordSessionCompleted(e: {
    stripeEventId: string;
    type: string;
    sessionId: string;
    orderId: string;
    paymentIntentId: string;
    buyerName?: string;
  }): Promise<boolean> {
    const row = await queryOne<{ r: { recorded: boolean } }>(
      this.prepared,
      `SELECT record_session_completed($1, $2, $3, $4, $5, $6) AS r`,
      [e.stripeEventId, e.type, e.sessionId, e.orderId, e.paymentIntentId, e.buyerName ?? null],
    );
    return row?.r.recorded === true;
  }

  /** A checkout that expired at Stripe: the event remembered once and the session closed, in one statement. */
  async recordSessionExpired(stripeEventId: string, type: string, sessionId: string): Promise<void> {
    await this.prepared.query(
      `WITH e AS (INSERT INTO stripe_events (stripe_event_id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1)
       UPDATE checkout_sessions SET status = 'expired', url = NULL
        WHERE session_id = $3 AND status = 'open' AND EXISTS (SELECT 1 FROM e)`,
      [stripeEventId, type, sessionId],
    );
  }

  /**
   * Moves an authorized payment to `to` (status-checked: only one caller does) and writes
   * `announce`'s message for it, in one transaction of two round trips (four as separate
   * statements). Undefined when the payment was not authorized any more.
   */
  async settle(
    orderId: string,
    to: 'captured' | 'failed' | 'voided',
    reason: string | undefined,
    announce: (moved: PaymentRow) => OutgoingMessage,
  ): Promise<PaymentRow | undefined> {
    const first = `UPDATE payments SET status = ${sqlLiteral(to)}, reason = coalesce(${sqlLiteral(reason)}, reason),
       updated_at = now() WHERE order_id = ${sqlLiteral(orderId)} AND status = 'authorized' RETURNING ${PAYMENT_COLS}`;
    const moved = await this.prepared.transactionInTwo(first, (rows) => {
      const row = rows[0] as PaymentRow | undefined;
      return { last: row ? enqueueMessagesSql([announce(row)], { notify: false }) : null, result: row };
    });
    if (moved) this.wakeOutbox();
    return moved;
  }
}

import { queryOne, queryRows, type Payload, type Queryable } from '@ticketslave/common';

/**
 * A mail to send: an order's confirmation, the news of one of its refunds, or of its event's
 * cancellation (`order` set), or a place in the queue near its turn (`place` set).
 */
export type DueMail = {
  mailId: string;
  attempts: number;
} & (
  | { kind: 'confirmation' | 'refund' | 'cancellation'; orderId: string; refundId: string | null }
  | { kind: 'turn_near'; place: { eventId: string; userId: string; email: string; ahead: number } }
);

/**
 * `mail_outbox`: confirmations (one per order), refund mails (one per refund), cancellation
 * mails (one per order) and "your turn is near" (one per place in a queue), see messaging/mail-sender.
 */
export class PgMailOutbox {
  constructor(private readonly db: Queryable) {}

  /** In the transaction that issues the tickets: the mail goes out after the commit. */
  async queue(orderId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO mail_outbox (order_id, kind) VALUES ($1, 'confirmation') ON CONFLICT DO NOTHING`,
      [orderId],
    );
  }

  /**
   * In the transaction that settles the refund (under the order's lock). With `unlessCancelled`
   * (the refund of a cancelled event) none is queued when the cancellation mail already is: it
   * told the fan about the money.
   */
  async queueRefund(orderId: string, refundId: string, unlessCancelled = false): Promise<void> {
    await this.db.query(
      `INSERT INTO mail_outbox (order_id, kind, refund_id)
       SELECT $1::uuid, 'refund', $2::uuid
       WHERE NOT ($3::boolean AND EXISTS (
         SELECT 1 FROM mail_outbox WHERE order_id = $1::uuid AND kind = 'cancellation'))
       ON CONFLICT DO NOTHING`,
      [orderId, refundId, unlessCancelled],
    );
  }

  /**
   * In the transaction that cancels the event: one cancellation mail per order still paid. The
   * orders are locked (in id order) like a refund's settlement locks its order, so of the two
   * the later sees the other's mail and the fan gets one (see queueRefund).
   */
  async queueCancellations(eventId: string): Promise<void> {
    await this.db.query(
      `WITH paid AS (
         SELECT order_id FROM orders WHERE event_id = $1 AND status = 'paid' ORDER BY order_id FOR UPDATE)
       INSERT INTO mail_outbox (order_id, kind) SELECT order_id, 'cancellation' FROM paid
       ON CONFLICT DO NOTHING`,
      [eventId],
    );
  }

  /**
   * In the transaction that records `queue.turn_near` as processed: one mail per (event, fan),
   * however often the fact arrives.
   */
  async queueTurnNear(p: Payload<'queue.turn_near'>): Promise<void> {
    await this.db.query(
      `INSERT INTO mail_outbox (kind, event_id, user_id, email, ahead) VALUES ('turn_near', $1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [p.eventId, p.userId, p.email, p.ahead],
    );
  }

  /** Whether the fan already has an order for the event: admitted, so "your turn is near" is stale. */
  async hasOrdered(eventId: string, userId: string): Promise<boolean> {
    return (
      (await queryOne(this.db, `SELECT 1 FROM orders WHERE event_id = $1 AND user_id = $2 LIMIT 1`, [
        eventId,
        userId,
      ])) !== undefined
    );
  }

  /**
   * Claims up to `limit` due mails for `leaseSeconds` (SKIP LOCKED: instances share them;
   * a claim neither sent nor failed by then is due again), counting the attempt.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<DueMail[]> {
    const rows = await queryRows<{
      mail_id: string;
      kind: DueMail['kind'];
      order_id: string | null;
      refund_id: string | null;
      event_id: string | null;
      user_id: string | null;
      email: string | null;
      ahead: number | null;
      attempts: number;
    }>(
      this.db,
      `UPDATE mail_outbox SET attempts = attempts + 1, next_at = now() + make_interval(secs => $2)
       WHERE mail_id IN (
         SELECT mail_id FROM mail_outbox WHERE sent_at IS NULL AND next_at <= now()
         ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING mail_id, kind, order_id, refund_id, event_id, user_id, email, ahead, attempts`,
      [limit, leaseSeconds],
    );
    return rows.map((r): DueMail =>
      r.kind === 'turn_near'
        ? {
            mailId: r.mail_id,
            attempts: r.attempts,
            kind: r.kind,
            place: { eventId: r.event_id!, userId: r.user_id!, email: r.email!, ahead: r.ahead! },
          }
        : {
            mailId: r.mail_id,
            attempts: r.attempts,
            kind: r.kind,
            orderId: r.order_id!,
            refundId: r.refund_id,
          },
    );
  }

  async markSent(mailId: string): Promise<void> {
    await this.db.query(`UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE mail_id = $1`, [
      mailId,
    ]);
  }

  async markFailed(mailId: string, retryInSeconds: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE mail_outbox SET next_at = now() + make_interval(secs => $2), last_error = $3 WHERE mail_id = $1`,
      [mailId, retryInSeconds, error.slice(0, 500)],
    );
  }
}

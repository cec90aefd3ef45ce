import { queryRows, type Queryable } from '@ticketslave/common';

/** A mail to send: an order's confirmation, or the news of one of its refunds. */
export interface DueMail {
  mailId: string;
  kind: 'confirmation' | 'refund';
  orderId: string;
  refundId: string | null;
  attempts: number;
}

/** `mail_outbox`: confirmations (one per order) and refund mails (one per refund), see messaging/mail-sender. */
export class PgMailOutbox {
  constructor(private readonly db: Queryable) {}

  /** In the transaction that issues the tickets: the mail goes out after the commit. */
  async queue(orderId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO mail_outbox (order_id, kind) VALUES ($1, 'confirmation') ON CONFLICT DO NOTHING`,
      [orderId],
    );
  }

  /** In the transaction that settles the refund. */
  async queueRefund(orderId: string, refundId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO mail_outbox (order_id, kind, refund_id) VALUES ($1, 'refund', $2) ON CONFLICT DO NOTHING`,
      [orderId, refundId],
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
      order_id: string;
      refund_id: string | null;
      attempts: number;
    }>(
      this.db,
      `UPDATE mail_outbox SET attempts = attempts + 1, next_at = now() + make_interval(secs => $2)
       WHERE mail_id IN (
         SELECT mail_id FROM mail_outbox WHERE sent_at IS NULL AND next_at <= now()
         ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING mail_id, kind, order_id, refund_id, attempts`,
      [limit, leaseSeconds],
    );
    return rows.map((r) => ({
      mailId: r.mail_id,
      kind: r.kind,
      orderId: r.order_id,
      refundId: r.refund_id,
      attempts: r.attempts,
    }));
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

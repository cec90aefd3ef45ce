import { queryRows, type Queryable } from '@ticketslave/common';

/** `mail_outbox`: order confirmations to send, one row per order (see messaging/mail-sender). */
export class PgMailOutbox {
  constructor(private readonly db: Queryable) {}

  /** In the transaction that issues the tickets: the mail goes out after the commit. */
  async queue(orderId: string): Promise<void> {
    await this.db.query(`INSERT INTO mail_outbox (order_id) VALUES ($1) ON CONFLICT DO NOTHING`, [orderId]);
  }

  /**
   * Claims up to `limit` due mails for `leaseSeconds` (SKIP LOCKED: instances share them;
   * a claim neither sent nor failed by then is due again), counting the attempt.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<{ orderId: string; attempts: number }[]> {
    const rows = await queryRows<{ order_id: string; attempts: number }>(
      this.db,
      `UPDATE mail_outbox SET attempts = attempts + 1, next_at = now() + make_interval(secs => $2)
       WHERE order_id IN (
         SELECT order_id FROM mail_outbox WHERE sent_at IS NULL AND next_at <= now()
         ORDER BY next_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING order_id, attempts`,
      [limit, leaseSeconds],
    );
    return rows.map((r) => ({ orderId: r.order_id, attempts: r.attempts }));
  }

  async markSent(orderId: string): Promise<void> {
    await this.db.query(`UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE order_id = $1`, [
      orderId,
    ]);
  }

  async markFailed(orderId: string, retryInSeconds: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE mail_outbox SET next_at = now() + make_interval(secs => $2), last_error = $3 WHERE order_id = $1`,
      [orderId, retryInSeconds, error.slice(0, 500)],
    );
  }
}

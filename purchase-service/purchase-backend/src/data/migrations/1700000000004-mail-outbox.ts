import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Confirmation e-mails to send, written in the transaction that issues the tickets:
 * the Kafka handler that settles an order no longer waits for SMTP, and a mail that
 * fails is retried with backoff instead of being lost. One row per order.
 */
export class MailOutbox1700000000004 implements MigrationInterface {
  name = 'MailOutbox1700000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE mail_outbox (
        order_id   uuid PRIMARY KEY REFERENCES orders (order_id),
        created_at timestamptz NOT NULL DEFAULT now(),
        next_at    timestamptz NOT NULL DEFAULT now(),
        attempts   int NOT NULL DEFAULT 0,
        sent_at    timestamptz,
        last_error text
      )`);
    await q.query(`CREATE INDEX mail_outbox_due ON mail_outbox (next_at) WHERE sent_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mail_outbox`);
  }
}

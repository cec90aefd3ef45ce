import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds of part of a payment and refunds made outside TicketSlave, and disputes. A payment
 * stays `captured` while part of it is refunded (`refunded_minor`) and becomes `refunded`
 * when all of it is. Each refund is a row: purchase's refund id (or one made up for a refund
 * someone made in Stripe's dashboard), each Stripe refund at most once (UNIQUE), so a
 * retried request or a redelivered webhook never counts money twice.
 */
export class Refunds1764172800002 implements MigrationInterface {
  name = 'Refunds1764172800002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE payments
        ADD COLUMN refunded_minor int NOT NULL DEFAULT 0,
        ADD COLUMN buyer_name text,
        ADD CONSTRAINT payments_refund_within_amount CHECK (refunded_minor BETWEEN 0 AND amount_minor);
      UPDATE payments SET refunded_minor = amount_minor WHERE status = 'refunded';
      ALTER TABLE orders ADD COLUMN buyer_name text;
      CREATE TABLE refunds (
        refund_id        uuid PRIMARY KEY,
        order_id         uuid NOT NULL REFERENCES payments (order_id),
        amount_minor     int NOT NULL CHECK (amount_minor > 0),
        source           text NOT NULL CHECK (source IN ('organiser', 'stripe', 'event_cancelled', 'payment')),
        reason           text,
        status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        stripe_refund_id text UNIQUE,
        failure          text,
        created_at       timestamptz NOT NULL DEFAULT now(),
        settled_at       timestamptz
      );
      CREATE INDEX refunds_by_order ON refunds (order_id);
      CREATE TABLE disputes (
        dispute_id   text PRIMARY KEY,
        order_id     uuid NOT NULL REFERENCES payments (order_id),
        amount_minor int NOT NULL CHECK (amount_minor >= 0),
        reason       text NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE disputes, refunds;
      ALTER TABLE orders DROP COLUMN buyer_name;
      ALTER TABLE payments DROP CONSTRAINT payments_refund_within_amount, DROP COLUMN refunded_minor,
        DROP COLUMN buyer_name;
    `);
  }
}

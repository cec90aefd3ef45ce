import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders as purchase announced them, the Checkout Sessions opened for them, the one
 * payment each order can have, and the Stripe events already applied. The invariants
 * (one session per attempt, one payment per order and per intent, each Stripe event
 * once) live here so that retries and duplicate deliveries cannot break them.
 */
export class Payments1764172800000 implements MigrationInterface {
  name = 'Payments1764172800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        event_id     uuid PRIMARY KEY,
        organiser_id text NOT NULL,
        title        text NOT NULL,
        version      int NOT NULL,
        cancelled    boolean NOT NULL DEFAULT false
      );
      CREATE TABLE orders (
        order_id     uuid PRIMARY KEY,
        event_id     uuid NOT NULL,
        user_id      text NOT NULL,
        admission_id text NOT NULL,
        amount_minor int NOT NULL CHECK (amount_minor >= 0),
        currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        expires_at   timestamptz NOT NULL,
        status       text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'completed', 'expired', 'cancelled')),
        created_at   timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX orders_event ON orders (event_id);
      CREATE TABLE checkout_sessions (
        session_id text PRIMARY KEY,
        order_id   uuid NOT NULL REFERENCES orders (order_id),
        attempt    int NOT NULL CHECK (attempt >= 1),
        url        text,
        status     text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'expired')),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, attempt)
      );
      CREATE UNIQUE INDEX checkout_sessions_one_open ON checkout_sessions (order_id) WHERE status = 'open';
      CREATE TABLE payments (
        order_id          uuid PRIMARY KEY REFERENCES orders (order_id),
        payment_intent_id text NOT NULL UNIQUE,
        event_id          uuid NOT NULL,
        amount_minor      int NOT NULL CHECK (amount_minor >= 0),
        currency          text NOT NULL,
        status            text NOT NULL
                          CHECK (status IN ('authorized', 'captured', 'voided', 'refunded', 'failed')),
        reason            text,
        updated_at        timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX payments_event ON payments (event_id, status);
      CREATE TABLE stripe_events (
        stripe_event_id text PRIMARY KEY,
        type            text NOT NULL,
        processed_at    timestamptz NOT NULL DEFAULT now()
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stripe_events, payments, checkout_sessions, orders, events`);
  }
}

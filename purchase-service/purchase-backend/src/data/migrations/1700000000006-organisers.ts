import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What organisers need from purchase: who may act on an event (organisations and their
 * members, from feed's organisation.updated), the venue's clock, the order's story
 * (authorized, paid, buyer's name), refunds of whole orders or single tickets, refund
 * e-mails next to confirmations, and the indexes that page and search 50,000 orders.
 */
export class Organisers1700000000006 implements MigrationInterface {
  name = 'Organisers1700000000006';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE events
        ADD COLUMN organisation_id uuid,
        ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC',
        ADD COLUMN doors_at timestamptz;
      CREATE TABLE organisations (
        organisation_id uuid PRIMARY KEY,
        version int NOT NULL,
        name text NOT NULL,
        release_seats_on_external_refund boolean NOT NULL DEFAULT true
      );
      CREATE TABLE organisation_members (
        organisation_id uuid NOT NULL REFERENCES organisations(organisation_id) ON DELETE CASCADE,
        user_id text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'manager', 'door')),
        PRIMARY KEY (organisation_id, user_id)
      );

      ALTER TABLE orders
        ADD COLUMN buyer_name text,
        ADD COLUMN authorized_at timestamptz,
        ADD COLUMN paid_at timestamptz,
        ADD COLUMN refunded_minor int NOT NULL DEFAULT 0,
        ADD CONSTRAINT orders_refund_within_amount CHECK (refunded_minor BETWEEN 0 AND amount_minor);
      -- The organiser's list: newest first per event (keyset), and search by address or name prefix.
      CREATE INDEX orders_by_event ON orders (event_id, created_at DESC, order_id DESC);
      CREATE INDEX orders_by_event_email ON orders (event_id, lower(email) text_pattern_ops);
      CREATE INDEX orders_by_event_name ON orders (event_id, lower(buyer_name) text_pattern_ops)
        WHERE buyer_name IS NOT NULL;
      CREATE INDEX tickets_checked_in ON tickets (event_id, checked_in_at) WHERE checked_in_at IS NOT NULL;

      -- A refund: requested by an organiser (purchase asks payment), or one payment reports
      -- (Stripe's dashboard, a dispute, a cancelled event). Its tickets are refund_items: a
      -- ticket is in at most one refund that has not failed (UNIQUE), so it cannot be refunded twice.
      CREATE TABLE refunds (
        refund_id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(order_id),
        event_id uuid NOT NULL,
        source text NOT NULL CHECK (source IN ('organiser', 'stripe', 'dispute', 'event_cancelled', 'payment')),
        status text NOT NULL CHECK (status IN ('requested', 'refunded', 'failed')),
        amount_minor int NOT NULL CHECK (amount_minor > 0),
        reason text NOT NULL,
        release_seats boolean NOT NULL,
        requested_by text,
        requested_by_email text,
        failure text,
        created_at timestamptz NOT NULL DEFAULT now(),
        settled_at timestamptz,
        CHECK ((status = 'requested') = (settled_at IS NULL))
      );
      CREATE INDEX refunds_by_order ON refunds (order_id, created_at);
      CREATE INDEX refunds_by_event ON refunds (event_id) WHERE status = 'refunded';
      CREATE TABLE refund_items (
        refund_id uuid NOT NULL REFERENCES refunds(refund_id) ON DELETE CASCADE,
        order_id uuid NOT NULL,
        unit_id text NOT NULL,
        PRIMARY KEY (refund_id, unit_id),
        UNIQUE (order_id, unit_id)
      );

      -- More than one mail per order: confirmations (one per order) and refunds (one per refund).
      ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_pkey;
      ALTER TABLE mail_outbox
        ADD COLUMN mail_id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
        ADD COLUMN kind text NOT NULL DEFAULT 'confirmation' CHECK (kind IN ('confirmation', 'refund')),
        ADD COLUMN refund_id uuid REFERENCES refunds(refund_id),
        ADD CONSTRAINT mail_outbox_refund_named CHECK ((kind = 'refund') = (refund_id IS NOT NULL));
      CREATE UNIQUE INDEX mail_outbox_one_confirmation ON mail_outbox (order_id) WHERE kind = 'confirmation';
      CREATE UNIQUE INDEX mail_outbox_one_per_refund ON mail_outbox (refund_id) WHERE kind = 'refund';
      CREATE INDEX mail_outbox_by_order ON mail_outbox (order_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM mail_outbox WHERE kind <> 'confirmation';
      DROP INDEX mail_outbox_by_order;
      ALTER TABLE mail_outbox DROP COLUMN mail_id, DROP COLUMN kind, DROP COLUMN refund_id;
      ALTER TABLE mail_outbox ADD PRIMARY KEY (order_id);
      DROP TABLE refund_items, refunds;
      DROP INDEX tickets_checked_in, orders_by_event, orders_by_event_email, orders_by_event_name;
      ALTER TABLE orders DROP CONSTRAINT orders_refund_within_amount, DROP COLUMN buyer_name,
        DROP COLUMN authorized_at, DROP COLUMN paid_at, DROP COLUMN refunded_minor;
      DROP TABLE organisation_members, organisations;
      ALTER TABLE events DROP COLUMN organisation_id, DROP COLUMN time_zone, DROP COLUMN doors_at;
    `);
  }
}

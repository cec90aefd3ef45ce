import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inventory, orders and tickets. The invariants that keep money and seats honest
 * live here: one row per sellable unit per event, one order per admission, one
 * ticket per (order, unit), and a unit that is held or sold always names its order.
 */
export class Initial1700000000001 implements MigrationInterface {
  name = 'Initial1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        event_id uuid PRIMARY KEY,
        version int NOT NULL,
        organiser_id text NOT NULL,
        status text NOT NULL,
        title text NOT NULL,
        venue text NOT NULL,
        starts_at timestamptz NOT NULL,
        hold_seconds int NOT NULL CHECK (hold_seconds > 0),
        per_user_limit int NOT NULL CHECK (per_user_limit > 0),
        categories jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // What the inventory publisher last sent per event. A separate row, so publishing
    // never contends with holds for the events row.
    await q.query(`
      CREATE TABLE inventory_published (
        event_id uuid PRIMARY KEY REFERENCES events(event_id),
        counts jsonb,
        seen_seq bigint NOT NULL DEFAULT 0,
        seen_at timestamptz,
        published_at timestamptz
      )`);
    await q.query(`CREATE SEQUENCE unit_change_seq`);
    await q.query(`
      CREATE TABLE units (
        event_id uuid NOT NULL REFERENCES events(event_id),
        unit_id text NOT NULL,
        category_id text NOT NULL,
        section text,
        row_label text,
        seat int,
        ordinal int NOT NULL,
        price_minor int NOT NULL CHECK (price_minor >= 0),
        currency char(3) NOT NULL,
        status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'sold')),
        order_id uuid,
        change_seq bigint NOT NULL DEFAULT nextval('unit_change_seq'),
        PRIMARY KEY (event_id, unit_id),
        CHECK ((status = 'available') = (order_id IS NULL))
      )`);
    await q.query(
      `CREATE INDEX units_best_available ON units (event_id, category_id, ordinal) WHERE status = 'available'`,
    );
    await q.query(`CREATE INDEX units_changes ON units (event_id, change_seq)`);
    await q.query(`CREATE INDEX units_order ON units (order_id) WHERE order_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE orders (
        order_id uuid PRIMARY KEY,
        event_id uuid NOT NULL REFERENCES events(event_id),
        user_id text NOT NULL,
        email text NOT NULL,
        admission_id text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN
          ('pending_payment', 'confirmed', 'paid', 'expired', 'cancelled', 'failed', 'refunded')),
        reason text,
        amount_minor int NOT NULL CHECK (amount_minor >= 0),
        currency char(3) NOT NULL,
        payment_intent_id text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX orders_user ON orders (user_id, created_at DESC)`);
    await q.query(`CREATE INDEX orders_due ON orders (expires_at) WHERE status = 'pending_payment'`);
    await q.query(`
      CREATE TABLE order_items (
        order_id uuid NOT NULL REFERENCES orders(order_id),
        unit_id text NOT NULL,
        category_id text NOT NULL,
        section text,
        row_label text,
        seat int,
        price_minor int NOT NULL,
        PRIMARY KEY (order_id, unit_id)
      )`);
    await q.query(`
      CREATE TABLE tickets (
        ticket_id uuid PRIMARY KEY,
        order_id uuid NOT NULL REFERENCES orders(order_id),
        event_id uuid NOT NULL REFERENCES events(event_id),
        user_id text NOT NULL,
        unit_id text NOT NULL,
        code text NOT NULL,
        status text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'void')),
        issued_at timestamptz NOT NULL,
        checked_in_at timestamptz,
        voided_at timestamptz,
        UNIQUE (order_id, unit_id)
      )`);
    await q.query(`CREATE INDEX tickets_user ON tickets (user_id)`);
    await q.query(`CREATE INDEX tickets_event ON tickets (event_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tickets, order_items, orders, units, inventory_published, events`);
    await q.query(`DROP SEQUENCE unit_change_seq`);
  }
}

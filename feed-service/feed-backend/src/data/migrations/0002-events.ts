import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Events1700000000002 implements MigrationInterface {
  name = 'Events1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organiser_id uuid NOT NULL REFERENCES users(id),
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft', 'published', 'on_sale', 'sold_out', 'completed', 'cancelled')),
        version integer NOT NULL DEFAULT 0 CHECK (version >= 0),
        title text NOT NULL,
        artist text NOT NULL DEFAULT '',
        description text NOT NULL DEFAULT '',
        venue text NOT NULL DEFAULT '',
        city text NOT NULL DEFAULT '',
        starts_at timestamptz,
        sale_starts_at timestamptz,
        buffer_grace_seconds integer NOT NULL CHECK (buffer_grace_seconds >= 0),
        queue jsonb NOT NULL,
        hold_seconds integer NOT NULL CHECK (hold_seconds >= 30),
        per_user_limit integer NOT NULL CHECK (per_user_limit >= 1),
        poster_url text,
        categories jsonb NOT NULL DEFAULT '[]',
        cancel_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (status = 'draft' OR (starts_at IS NOT NULL AND sale_starts_at IS NOT NULL))
      );
      -- The public feed reads only visible events in start order (keyset pagination).
      CREATE INDEX events_public_feed ON events (starts_at, id)
        WHERE status IN ('published', 'on_sale', 'sold_out');
      CREATE INDEX events_by_organiser ON events (organiser_id, created_at DESC);
      CREATE TABLE event_audit (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        actor_id uuid NOT NULL,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX event_audit_by_event ON event_audit (event_id, id);
      -- What other services tell us about an event (stock, the buffer's close).
      CREATE TABLE event_stats (
        event_id uuid PRIMARY KEY,
        available integer,
        held integer,
        sold integer,
        stock_at timestamptz,
        buffer_total integer,
        commitment text,
        buffer_closed_at timestamptz
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_stats, event_audit, events`);
  }
}

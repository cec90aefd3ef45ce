import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BufferTables1700000000000 implements MigrationInterface {
  name = 'BufferTables1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE buffer_events (
        event_id uuid PRIMARY KEY,
        version int NOT NULL,
        organiser_id text NOT NULL,
        status text NOT NULL,
        starts_at timestamptz NOT NULL,
        sale_starts_at timestamptz NOT NULL,
        buffer_grace_seconds int NOT NULL CHECK (buffer_grace_seconds >= 0),
        closes_at timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closing', 'closed')),
        seed text NOT NULL CHECK (seed ~ '^[0-9a-f]{64}$'),
        salt text NOT NULL CHECK (salt ~ '^[0-9a-f]{64}$'),
        commitment text NOT NULL,
        closed_at timestamptz,
        beacon text,
        beacon_round bigint,
        entrants_digest text,
        total int,
        -- The highest queue number handed out; late joiners take last_number + 1 under the row lock.
        last_number int NOT NULL DEFAULT 0,
        CHECK (state = 'open' OR closed_at IS NOT NULL),
        CHECK (state <> 'closed' OR (beacon IS NOT NULL AND total IS NOT NULL AND entrants_digest IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX buffer_events_due ON buffer_events (closes_at) WHERE state <> 'closed'`);
    await q.query(`
      CREATE TABLE entries (
        event_id uuid NOT NULL REFERENCES buffer_events (event_id),
        user_id text NOT NULL,
        entrant_hash text NOT NULL,
        -- Join order across the whole table; late joiners are numbered in this order.
        seq bigint GENERATED ALWAYS AS IDENTITY,
        joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        late boolean NOT NULL,
        queue_number int CHECK (queue_number >= 1),
        PRIMARY KEY (event_id, user_id),
        UNIQUE (event_id, entrant_hash),
        UNIQUE (event_id, queue_number)
      )`);
    await q.query(`CREATE INDEX entries_unnumbered ON entries (event_id, seq) WHERE queue_number IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE entries');
    await q.query('DROP TABLE buffer_events');
  }
}

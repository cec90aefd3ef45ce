import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The queue's state. Correctness lives in these rows: `serving` only moves by a
 * conditional update, a fan's status only moves forward by status-checked updates,
 * and UNIQUE keys make `queue.assigned` replays harmless.
 */
export class QueueSchema1700000000001 implements MigrationInterface {
  name = 'QueueSchema1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE queue_events (
        event_id uuid PRIMARY KEY,
        organiser_id text NOT NULL,
        snapshot_version int NOT NULL,
        snapshot_rate int NOT NULL,
        admit_rate_per_minute int NOT NULL CHECK (admit_rate_per_minute > 0),
        max_active_shoppers int NOT NULL CHECK (max_active_shoppers > 0),
        away_grace_seconds int NOT NULL CHECK (away_grace_seconds >= 0),
        hold_seconds int NOT NULL CHECK (hold_seconds > 0),
        serving int NOT NULL DEFAULT 0 CHECK (serving >= 0),
        tokens double precision NOT NULL DEFAULT 1,
        tokens_at timestamptz NOT NULL DEFAULT now(),
        paused boolean NOT NULL DEFAULT false,
        in_carts boolean NOT NULL DEFAULT false,
        sold_out boolean NOT NULL DEFAULT false,
        cancelled boolean NOT NULL DEFAULT false,
        available int, held int, sold int,
        progress_at timestamptz,
        progress_serving int NOT NULL DEFAULT 0,
        measured_rate double precision NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Numbers can arrive before the event snapshot (different topics), so no FK to queue_events.
    await q.query(`
      CREATE TABLE queue_counters (
        event_id uuid PRIMARY KEY,
        last_number int NOT NULL DEFAULT 0
      )`);
    await q.query(`
      CREATE TABLE fans (
        event_id uuid NOT NULL,
        queue_number int NOT NULL CHECK (queue_number > 0),
        user_id text NOT NULL,
        late boolean NOT NULL DEFAULT false,
        status text NOT NULL DEFAULT 'waiting'
          CHECK (status IN ('waiting', 'turn', 'parked', 'admitted', 'lapsed')),
        turn_at timestamptz,
        admitted_at timestamptz,
        admission_id text UNIQUE,
        admission_expires_at timestamptz,
        has_order boolean NOT NULL DEFAULT false,
        slot_released boolean NOT NULL DEFAULT false,
        conn_id uuid,
        last_seen_at timestamptz,
        PRIMARY KEY (event_id, queue_number),
        UNIQUE (event_id, user_id),
        CHECK ((status = 'admitted') = (admission_id IS NOT NULL)),
        CHECK (status = 'waiting' OR turn_at IS NOT NULL)
      )`);
    // The admitter's per-tick queries touch only fans whose turn has come, never the waiting million.
    await q.query(
      `CREATE INDEX fans_open_turns ON fans (event_id, queue_number) WHERE status IN ('turn', 'parked')`,
    );
    await q.query(
      `CREATE INDEX fans_active ON fans (event_id) WHERE status = 'admitted' AND NOT slot_released`,
    );
    await q.query(`CREATE INDEX fans_conn ON fans (conn_id) WHERE conn_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE organiser_actions (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL,
        actor_id text NOT NULL,
        actor_role text NOT NULL,
        action text NOT NULL CHECK (action IN ('pause', 'resume', 'settings')),
        details jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX organiser_actions_event ON organiser_actions (event_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE organiser_actions, fans, queue_counters, queue_events`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A join as one statement: one round trip and no explicit transaction, so a pool
 * connection is held for a single exchange during a join storm. It must be a function
 * rather than one SQL statement: a statement reads with the snapshot it took when it
 * started, before it waited for the lock, so it could see `open` after a close that
 * committed while it waited. Each statement inside a VOLATILE function takes a fresh
 * snapshot, which here is taken after the shared lock is granted.
 *
 * The lock key is the one the closer takes exclusively (pg-buffer-store's LOCK_KEY).
 * Refusals stay in TypeScript: the function inserts only for a joinable status
 * (passed in) while the buffer is not closed, and otherwise answers the event so the
 * caller can say why, or number a late joiner in its own transaction.
 */
export class JoinFunction1700000000001 implements MigrationInterface {
  name = 'JoinFunction1700000000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION buffer_join(p_event uuid, p_user text, p_hash text, p_joinable text[])
      RETURNS json LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        ev buffer_events;
        en entries;
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('ticketslave:buffer:' || p_event::text, 0));
        SELECT * INTO ev FROM buffer_events WHERE event_id = p_event;
        IF NOT FOUND THEN
          RETURN json_build_object('event', NULL, 'entry', NULL, 'created', false);
        END IF;
        SELECT * INTO en FROM entries WHERE event_id = p_event AND user_id = p_user;
        IF FOUND OR ev.state = 'closed' OR NOT (ev.status = ANY (p_joinable)) THEN
          RETURN json_build_object('event', row_to_json(ev), 'entry', CASE WHEN FOUND THEN row_to_json(en) END,
            'created', false);
        END IF;
        INSERT INTO entries (event_id, user_id, entrant_hash, late)
        VALUES (p_event, p_user, p_hash, ev.state <> 'open')
        ON CONFLICT DO NOTHING
        RETURNING * INTO en;
        IF FOUND THEN
          RETURN json_build_object('event', row_to_json(ev), 'entry', row_to_json(en), 'created', true);
        END IF;
        -- A concurrent join of the same fan won; theirs is the entry.
        SELECT * INTO en FROM entries WHERE event_id = p_event AND user_id = p_user;
        RETURN json_build_object('event', row_to_json(ev), 'entry', row_to_json(en), 'created', false);
      END
      $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION buffer_join(uuid, text, text, text[])');
  }
}

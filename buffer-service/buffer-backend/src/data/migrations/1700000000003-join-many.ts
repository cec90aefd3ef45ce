import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * buffer_join for many fans of one event in one statement: the joins that arrive
 * while an earlier one is at the database go together (PgBufferStore's batcher), so
 * a join storm costs one round trip, one lock and one commit per batch instead of per
 * fan. The rules are buffer_join's: the shared event lock first, a fresh snapshot
 * after it, inserts only while the buffer is not closed and the status is joinable.
 * All of a batch commits together, so every fan in it is acknowledged either before
 * the close (buffered) or after it (late), as with a single join.
 *
 * Supersedes buffer_join (kept for the migrations before this one).
 *
 * Answers `{event, entries: [{entry, number, created}]}`: the entry of every fan of
 * the batch that has one now (theirs or a concurrent join's); a fan missing from it
 * was refused or the buffer is closed (the caller then takes the single path).
 */
export const JOIN_MANY_V1 = `
      CREATE FUNCTION buffer_join_many(p_event uuid, p_users text[], p_hashes text[], p_joinable text[])
      RETURNS json LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        ev buffer_events;
        v_created text[] := '{}';
        v_entries json;
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(hashtextextended('ticketslave:buffer:' || p_event::text, 0));
        SELECT * INTO ev FROM buffer_events WHERE event_id = p_event;
        IF NOT FOUND THEN
          RETURN json_build_object('event', NULL, 'entries', '[]'::json);
        END IF;
        IF ev.state <> 'closed' AND ev.status = ANY (p_joinable) THEN
          WITH ins AS (
            INSERT INTO entries (event_id, user_id, entrant_hash, late)
            SELECT p_event, x.u, x.h, ev.state <> 'open'
            FROM unnest(p_users, p_hashes) WITH ORDINALITY AS x(u, h, i) ORDER BY x.i
            ON CONFLICT DO NOTHING
            RETURNING user_id
          )
          SELECT COALESCE(array_agg(user_id), '{}') INTO v_created FROM ins;
        END IF;
        SELECT COALESCE(json_agg(json_build_object('entry', row_to_json(e), 'number', n.queue_number,
            'created', e.user_id = ANY (v_created))), '[]'::json)
          INTO v_entries
          FROM entries e LEFT JOIN numbers n ON n.event_id = e.event_id AND n.user_id = e.user_id
          WHERE e.event_id = p_event AND e.user_id = ANY (p_users);
        RETURN json_build_object('event', row_to_json(ev), 'entries', v_entries);
      END
      $$`;

export class JoinMany1700000000003 implements MigrationInterface {
  name = 'JoinMany1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(JOIN_MANY_V1);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION buffer_join_many(uuid, text[], text[], text[])');
  }
}

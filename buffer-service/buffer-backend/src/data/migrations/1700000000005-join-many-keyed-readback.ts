import type { MigrationInterface, QueryRunner } from 'typeorm';
import { JOIN_MANY_V2 } from './1700000000004-join-many-generic-plans';

/**
 * buffer_join_many, third version: the batch's entries are read back one fan at a time
 * by primary key, never as `user_id = ANY (…)`.
 *
 * The generic plan of that read was made on a connection's first join, when a sale's
 * tables are empty; the planner then chose a bitmap scan of the (event, entrant_hash)
 * index on the event alone, filtering the users, and kept it. Every batch read every
 * entry of the event: PostgreSQL's time per batch of 12 grew from 1.3 ms at 1,000
 * entries to 10 ms at 11,000 (and would be seconds at a million), until an autoanalyze
 * happened to replan it. A scalar subquery per fan can only be an index lookup on the
 * full key, whatever the statistics said when it was planned (`OFFSET 0` keeps the
 * subquery from being pulled up, which would run each lookup twice: filter and output).
 */
export const JOIN_MANY_V3 = `
      CREATE OR REPLACE FUNCTION buffer_join_many(p_event uuid, p_users text[], p_hashes text[], p_joinable text[])
      RETURNS json LANGUAGE plpgsql VOLATILE
      SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
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
        SELECT COALESCE(json_agg(j), '[]'::json) INTO v_entries
          FROM (
            SELECT (SELECT json_build_object('entry', row_to_json(e),
                      'number', (SELECT n.queue_number FROM numbers n WHERE n.event_id = p_event AND n.user_id = x.u),
                      'created', x.u = ANY (v_created))
                    FROM entries e WHERE e.event_id = p_event AND e.user_id = x.u) AS j
            FROM unnest(p_users) AS x(u)
            OFFSET 0
          ) per_fan
          WHERE j IS NOT NULL;
        RETURN json_build_object('event', row_to_json(ev), 'entries', v_entries);
      END
      $$`;

export class JoinManyKeyedReadback1700000000005 implements MigrationInterface {
  name = 'JoinManyKeyedReadback1700000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(JOIN_MANY_V3);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(JOIN_MANY_V2);
  }
}

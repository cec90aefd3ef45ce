import type { MigrationInterface, QueryRunner } from 'typeorm';
import { JOIN_MANY_V1 } from './1700000000003-join-many';

/**
 * buffer_join_many, second version: the same statements, planned once per connection.
 *
 * PL/pgSQL re-planned the function's statements for every call (the planner kept
 * choosing custom plans), about 0.5 ms of PostgreSQL CPU per batch whatever its size;
 * executing a batch of one costs a tenth of that. With a join storm arriving as
 * batches of a few fans, planning was most of PostgreSQL's share of a join. Now the
 * plans are generic and made once, and they never scan: the tables start a sale empty,
 * so a plan made then must not be a sequential scan reused at a million rows.
 *
 * A fan's number is looked up by key (a correlated subquery) instead of a join with
 * `numbers`: the generic plan of the join read every number of the event into a hash,
 * a million rows per batch once the buffer is closed.
 */
export const JOIN_MANY_V2 = `
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
        SELECT COALESCE(json_agg(json_build_object('entry', row_to_json(e),
            'number', (SELECT n.queue_number FROM numbers n WHERE n.event_id = e.event_id AND n.user_id = e.user_id),
            'created', e.user_id = ANY (v_created))), '[]'::json)
          INTO v_entries
          FROM entries e
          WHERE e.event_id = p_event AND e.user_id = ANY (p_users);
        RETURN json_build_object('event', row_to_json(ev), 'entries', v_entries);
      END
      $$`;

export class JoinManyGenericPlans1700000000004 implements MigrationInterface {
  name = 'JoinManyGenericPlans1700000000004';

  async up(q: QueryRunner): Promise<void> {
    await q.query(JOIN_MANY_V2);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(JOIN_MANY_V1.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
  }
}

-- Joins: many fans of one event in one statement. Called only by data/pg-buffer-store.ts
-- (PgBufferStore's join batches): the joins that arrive while an earlier batch is at the
-- database go together, so a join storm costs one round trip, one lock and one commit per
-- batch instead of per fan.
--
-- It must be a function rather than one SQL statement: a statement reads with the snapshot
-- it took when it started, before it waited for the lock, so it could see `open` after a
-- close that committed while it waited. Each statement inside a VOLATILE function takes a
-- fresh snapshot, which here is taken after the shared lock is granted. p_event_lock is
-- the event's buffer.event key (libs/common/src/db/locks.ts), which the close takes
-- exclusively: every fan of a batch is acknowledged either before the close (buffered) or
-- after it (late), as with a single join.
--
-- Inserts only while the buffer is not closed and the status is joinable (passed in);
-- refusals stay in TypeScript. Answers {event, entries: [{entry, number, created}]}: the
-- entry of every fan of the batch that has one now (theirs or a concurrent join's); a fan
-- missing from it was refused or the buffer is closed (the caller then takes the single,
-- numbering path).
--
-- Plans are generic and made once per connection (PL/pgSQL otherwise re-planned every
-- statement per call: about 0.5 ms of PostgreSQL CPU per batch, whatever its size), and
-- never scans: the tables start a sale empty, and a plan made then must not be a
-- sequential scan reused at a million rows. For the same reason the batch's entries are
-- read back one fan at a time by primary key, never as `user_id = ANY (…)`: the generic
-- plan of that read, made on an empty table, was a bitmap scan of the event filtering the
-- users, and PostgreSQL's time per batch of 12 grew from 1.3 ms at 1,000 entries to 10 ms
-- at 11,000. A scalar subquery per fan can only be an index lookup on the full key
-- (`OFFSET 0` keeps it from being pulled up, which would run each lookup twice). A fan's
-- number is likewise looked up by key: a join with `numbers` hashed every number of the
-- event, a million rows per batch once the buffer is closed.

CREATE OR REPLACE FUNCTION buffer_join_many(
  p_event uuid, p_users text[], p_hashes text[], p_joinable text[], p_event_lock bigint
) RETURNS json LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan SET enable_seqscan = off AS $$
DECLARE
  ev buffer_events;
  v_created text[] := '{}';
  v_entries json;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(p_event_lock);
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
$$;

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HOLD_UNITS_V2 } from './1700000000003-hold-refusals';

/**
 * Holds in batches: `hold_units_batch` runs the holds that reached one purchase instance
 * for one event while its previous batch was in flight, in one statement, one
 * transaction and one commit (group commit: in bench:purchase a hold was a round trip,
 * a transaction and a WAL flush of its own, and PostgreSQL's CPU per hold request was
 * 0.6–0.8 ms).
 *
 * - `hold_one` is the hold itself, exactly hold_units v2 (1700000000003) except that a
 *   refusal is only returned: whether the transaction may skip its WAL flush is decided
 *   by the caller, for the whole transaction. hold_units is now hold_one plus that rule;
 *   hold_units_batch skips the flush only when every hold of the batch was refused.
 * - Each hold's outcome is its own: a refusal writes nothing, so a refused hold leaves
 *   the others of its batch untouched. The holds run in the batch's order; a later hold
 *   sees what the earlier ones took (a seat taken earlier in the batch is `seats_taken`,
 *   by a request that began before this one's answer).
 * - Locks, in the order of 1700000000002, for the whole batch before the first hold:
 *   the event's shared lock, then every fan's (event, user) lock in the order of their
 *   keys, then every still-available chosen seat in unit_id order. Two batches (of two
 *   instances) therefore lock in one global order and cannot deadlock; the holds then
 *   re-take locks they already own. Best-available holds lock with SKIP LOCKED and never
 *   wait. The outbox's shared write lock comes last, in the first hold that writes.
 * - An error (not a refusal) rolls back the whole batch; the caller then runs its holds
 *   one by one with hold_units, so one bad hold cannot fail its neighbours.
 *
 * `p_holds` is a JSON array of {seats: text[] | null, category, quantity, user, email,
 * admission, order, envelope, headers}; the answer is a JSON array of hold_units'
 * answers, in the same order.
 */
const HOLD_ONE = `
CREATE OR REPLACE FUNCTION hold_one(
  p_event uuid, p_seats text[], p_category text, p_quantity int,
  p_user text, p_email text, p_admission text, p_order uuid, p_now timestamptz,
  p_selling text[], p_envelope jsonb, p_headers jsonb, p_outbox_lock bigint
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  ev record;
  v_owned int;
  v_used boolean;
  v_ids text[];
  v_ctids tid[];
  v_n int;
  v_ncur int;
  v_amount bigint;
  v_currency text;
  v_unknown text[];
  v_known text[];
  v_expires timestamptz;
  v_order orders;
  v_items jsonb;
  v_held int;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext('purchase:event:' || p_event::text)),
          pg_advisory_xact_lock(hashtext('purchase:limit:' || p_event::text || ':' || p_user));

  SELECT status, hold_seconds, per_user_limit, title INTO ev FROM events WHERE event_id = p_event;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'event_not_found'));
  END IF;
  IF NOT ev.status = ANY (p_selling) THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'not_on_sale'));
  END IF;

  SELECT
    (SELECT count(*)::int FROM units u JOIN orders o ON o.order_id = u.order_id
      WHERE o.user_id = p_user AND o.event_id = p_event AND u.event_id = p_event),
    EXISTS (SELECT 1 FROM orders WHERE admission_id = p_admission)
  INTO v_owned, v_used;

  IF v_owned + p_quantity > ev.per_user_limit OR v_used THEN
    SELECT coalesce(array_agg(unit_id), '{}') INTO v_known FROM units
      WHERE event_id = p_event AND unit_id = ANY (p_seats);
    v_unknown := ARRAY(SELECT s FROM unnest(p_seats) s WHERE NOT s = ANY (v_known) ORDER BY s);
    IF cardinality(v_unknown) > 0 THEN
      RETURN jsonb_build_object('refused', json_build_object('reason', 'unknown_seats', 'unknown', v_unknown));
    END IF;
    IF v_owned + p_quantity > ev.per_user_limit THEN
      RETURN jsonb_build_object('refused', json_build_object('reason', 'limit_exceeded', 'limit', ev.per_user_limit, 'owned', v_owned));
    END IF;
    RETURN jsonb_build_object('refused', json_build_object('reason', 'admission_used'));
  END IF;

  IF p_seats IS NOT NULL THEN
    SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}'), array_agg(ctid), count(*),
           count(DISTINCT currency), sum(price_minor), min(currency)
      INTO v_ids, v_ctids, v_n, v_ncur, v_amount, v_currency
      FROM (SELECT unit_id, ctid, currency, price_minor FROM units
            WHERE event_id = p_event AND unit_id = ANY (p_seats) AND status = 'available'
            ORDER BY unit_id FOR UPDATE) c;
  ELSE
    SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}'), array_agg(ctid), count(*),
           count(DISTINCT currency), sum(price_minor), min(currency)
      INTO v_ids, v_ctids, v_n, v_ncur, v_amount, v_currency
      FROM (SELECT unit_id, ctid, currency, price_minor FROM units
            WHERE event_id = p_event AND category_id = p_category AND status = 'available'
            ORDER BY ordinal LIMIT p_quantity FOR UPDATE SKIP LOCKED) c;
  END IF;

  IF v_n < p_quantity THEN
    IF p_seats IS NOT NULL THEN
      SELECT coalesce(array_agg(unit_id), '{}') INTO v_known FROM units
        WHERE event_id = p_event AND unit_id = ANY (p_seats);
      v_unknown := ARRAY(SELECT s FROM unnest(p_seats) s WHERE NOT s = ANY (v_known) ORDER BY s);
      IF cardinality(v_unknown) > 0 THEN
        RETURN jsonb_build_object('refused', json_build_object('reason', 'unknown_seats', 'unknown', v_unknown));
      END IF;
      RETURN jsonb_build_object('refused', json_build_object('reason', 'seats_taken', 'taken',
          ARRAY(SELECT s FROM unnest(p_seats) s WHERE NOT s = ANY (v_ids) ORDER BY s)));
    END IF;
    RETURN jsonb_build_object('refused', json_build_object('reason', 'not_enough_available', 'available', v_n));
  END IF;
  IF v_ncur > 1 THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'mixed_currencies'));
  END IF;

  v_expires := p_now + make_interval(secs => ev.hold_seconds);
  INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency,
                      created_at, expires_at)
  VALUES (p_order, p_event, p_user, p_email, p_admission, 'pending_payment', v_amount, v_currency,
          p_now, v_expires)
  ON CONFLICT (admission_id) DO NOTHING
  RETURNING * INTO v_order;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'admission_used'));
  END IF;

  WITH held AS (
    -- By tuple id: the rows are locked by us, so their ctids cannot change meanwhile.
    UPDATE units SET status = 'held', order_id = p_order, change_seq = nextval('unit_change_seq')
    WHERE ctid = ANY (v_ctids) AND status = 'available'
    RETURNING unit_id, category_id, section, row_label, seat, price_minor
  ), items AS (
    INSERT INTO order_items (order_id, unit_id, category_id, section, row_label, seat, price_minor)
    SELECT p_order, unit_id, category_id, section, row_label, seat, price_minor FROM held
    RETURNING unit_id, category_id, section, row_label, seat, price_minor
  )
  SELECT coalesce(jsonb_agg(to_jsonb(items) ORDER BY unit_id), '[]'), count(*) INTO v_items, v_held FROM items;
  IF v_held <> p_quantity THEN
    RAISE EXCEPTION 'hold claimed % units but updated %', p_quantity, v_held;
  END IF;

  -- order.created, in the transaction that makes the order (the caller's envelope,
  -- completed with what only this transaction knows).
  INSERT INTO outbox (topic, msg_key, envelope, headers)
  SELECT 'order.created', p_event::text,
    jsonb_set(p_envelope, '{payload}', (p_envelope -> 'payload') || jsonb_build_object(
      'amountMinor', v_order.amount_minor,
      'currency', v_order.currency,
      'expiresAt', to_char(v_expires AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
    p_headers
  FROM (SELECT pg_advisory_xact_lock_shared(p_outbox_lock)) l;

  RETURN jsonb_build_object('order', to_jsonb(v_order), 'items', v_items, 'title', ev.title);
END
$fn$`;

const HOLD_UNITS = `
CREATE OR REPLACE FUNCTION hold_units(
  p_event uuid, p_seats text[], p_category text, p_quantity int,
  p_user text, p_email text, p_admission text, p_order uuid, p_now timestamptz,
  p_selling text[], p_envelope jsonb, p_headers jsonb, p_outbox_lock bigint
) RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  r jsonb;
BEGIN
  r := hold_one(p_event, p_seats, p_category, p_quantity, p_user, p_email, p_admission, p_order,
                p_now, p_selling, p_envelope, p_headers, p_outbox_lock);
  IF r ? 'refused' THEN
    -- Nothing was written: the commit need not wait for the WAL flush.
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN r;
END
$fn$`;

const HOLD_UNITS_BATCH = `
CREATE OR REPLACE FUNCTION hold_units_batch(
  p_event uuid, p_holds jsonb, p_now timestamptz, p_selling text[], p_outbox_lock bigint
) RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  h jsonb;
  r jsonb;
  v_out jsonb[] := '{}';
  v_wrote boolean := false;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext('purchase:event:' || p_event::text));
  PERFORM pg_advisory_xact_lock(k) FROM (
    SELECT DISTINCT hashtext('purchase:limit:' || p_event::text || ':' || (x ->> 'user')) AS k
    FROM jsonb_array_elements(p_holds) x ORDER BY 1) l;
  PERFORM 1 FROM units
    WHERE event_id = p_event AND status = 'available' AND unit_id = ANY (ARRAY(
      SELECT jsonb_array_elements_text(x -> 'seats') FROM jsonb_array_elements(p_holds) x
      WHERE jsonb_typeof(x -> 'seats') = 'array'))
    ORDER BY unit_id FOR UPDATE;

  FOR h IN SELECT value FROM jsonb_array_elements(p_holds) LOOP
    r := hold_one(
      p_event,
      CASE WHEN jsonb_typeof(h -> 'seats') = 'array'
        THEN ARRAY(SELECT jsonb_array_elements_text(h -> 'seats')) END,
      h ->> 'category', (h ->> 'quantity')::int, h ->> 'user', h ->> 'email', h ->> 'admission',
      (h ->> 'order')::uuid, p_now, p_selling, h -> 'envelope', h -> 'headers', p_outbox_lock);
    v_wrote := v_wrote OR NOT r ? 'refused';
    v_out := v_out || r;
  END LOOP;
  IF NOT v_wrote THEN
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN to_jsonb(v_out);
END
$fn$`;

export class HoldBatches1700000000005 implements MigrationInterface {
  name = 'HoldBatches1700000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(HOLD_ONE);
    await q.query(HOLD_UNITS);
    await q.query(HOLD_UNITS_BATCH);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION hold_units_batch(uuid, jsonb, timestamptz, text[], bigint)`);
    await q.query(HOLD_UNITS_V2);
    await q.query(
      `DROP FUNCTION hold_one(uuid, text[], text, int, text, text, text, uuid, timestamptz, text[], jsonb, jsonb, bigint)`,
    );
  }
}

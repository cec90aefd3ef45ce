import type { MigrationInterface, QueryRunner } from 'typeorm';
import { HOLD_UNITS_V1, HOLD_UNKNOWN_SEATS_V1 } from './1700000000002-hold-function';

/**
 * hold_units, second version (the locking order and the all-or-nothing rule are those of
 * 1700000000002):
 * - A refusal is returned (`{"refused": {"reason": …}}`) instead of raised: the client
 *   needs no error round through the driver. Nothing was written by then; the
 *   transaction only took row locks, so it commits without waiting for the WAL flush
 *   (synchronous_commit off for that transaction: losing that commit loses nothing).
 * - Every statement is planned once per connection (force_generic_plan) and never as a
 *   sequential scan (enable_seqscan off). A hold's lookups are all by key; the orders
 *   table starts a sale empty, and a plan made then (a scan of a tiny table) would be
 *   reused while the table grows by thousands of orders a minute.
 * - Which asked seats do not exist is found through the primary key (the anti-join of
 *   the first version was planned as a scan of the event's units).
 */
const HOLD_REFUSAL = `
CREATE OR REPLACE FUNCTION hold_refusal(p_refusal json) RETURNS jsonb LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN jsonb_build_object('refused', p_refusal);
END
$fn$`;

export const HOLD_UNITS_V2 = `CREATE OR REPLACE FUNCTION hold_units(
  p_event uuid, p_seats text[], p_category text, p_quantity int,
  p_user text, p_email text, p_admission text, p_order uuid, p_now timestamptz,
  p_selling text[], p_envelope jsonb, p_headers jsonb, p_outbox_lock bigint
) RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
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
    RETURN hold_refusal(json_build_object('reason', 'event_not_found'));
  END IF;
  IF NOT ev.status = ANY (p_selling) THEN
    RETURN hold_refusal(json_build_object('reason', 'not_on_sale'));
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
      RETURN hold_refusal(json_build_object('reason', 'unknown_seats', 'unknown', v_unknown));
    END IF;
    IF v_owned + p_quantity > ev.per_user_limit THEN
      RETURN hold_refusal(json_build_object('reason', 'limit_exceeded', 'limit', ev.per_user_limit, 'owned', v_owned));
    END IF;
    RETURN hold_refusal(json_build_object('reason', 'admission_used'));
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
        RETURN hold_refusal(json_build_object('reason', 'unknown_seats', 'unknown', v_unknown));
      END IF;
      RETURN hold_refusal(json_build_object('reason', 'seats_taken', 'taken',
          ARRAY(SELECT s FROM unnest(p_seats) s WHERE NOT s = ANY (v_ids) ORDER BY s)));
    END IF;
    RETURN hold_refusal(json_build_object('reason', 'not_enough_available', 'available', v_n));
  END IF;
  IF v_ncur > 1 THEN
    RETURN hold_refusal(json_build_object('reason', 'mixed_currencies'));
  END IF;

  v_expires := p_now + make_interval(secs => ev.hold_seconds);
  INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency,
                      created_at, expires_at)
  VALUES (p_order, p_event, p_user, p_email, p_admission, 'pending_payment', v_amount, v_currency,
          p_now, v_expires)
  ON CONFLICT (admission_id) DO NOTHING
  RETURNING * INTO v_order;
  IF NOT FOUND THEN
    RETURN hold_refusal(json_build_object('reason', 'admission_used'));
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

export class HoldFunctionRefusals1700000000003 implements MigrationInterface {
  name = 'HoldFunctionRefusals1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(HOLD_REFUSAL);
    await q.query(HOLD_UNITS_V2);
    await q.query(`DROP FUNCTION IF EXISTS hold_unknown_seats(uuid, text[])`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(HOLD_UNKNOWN_SEATS_V1);
    await q.query(HOLD_UNITS_V1);
    await q.query(`DROP FUNCTION hold_refusal(json)`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A hold as one statement: `SELECT hold_units(...)`, run on its own (autocommit), so a
 * hold is one round trip and one short transaction. Every statement inside is planned
 * once per connection and then reused (PL/pgSQL caches its plans).
 *
 * Order of locks, the same in every path that takes more than one of them:
 * 1. the event's advisory lock, shared by every hold, exclusive for a cancellation
 *    (which therefore waits for holds in flight, and holds after it see `cancelled`);
 * 2. the fan's (event, user) advisory lock: the per-user limit is exact because the
 *    next statement's snapshot, taken after the lock was granted, sees every earlier
 *    hold of this fan;
 * 3. the units, in unit_id order (`ORDER BY unit_id FOR UPDATE`) for chosen seats, or
 *    the first free places by ordinal, skipping rows another hold has locked, for best
 *    available. A row that stopped being available while we waited for its lock fails
 *    the recheck of `status = 'available'` and is left out: that recheck is what makes
 *    overselling impossible;
 * 4. the outbox's shared write lock (see libs/common OutboxRelay), taken by the caller's
 *    expression `p_outbox_lock`, just before the order.created row is written.
 *
 * All or nothing: a refusal raises SQLSTATE TSHLD with a JSON detail
 * (`{"reason": …, …}`), which rolls back the row locks; nothing was written by then.
 * The order's UNIQUE(admission_id) stays the last word on one order per admission.
 */
export const HOLD_UNITS_V1 = `
CREATE OR REPLACE FUNCTION hold_units(
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
  v_expires timestamptz;
  v_order orders;
  v_items jsonb;
  v_held int;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(hashtext('purchase:event:' || p_event::text)),
          pg_advisory_xact_lock(hashtext('purchase:limit:' || p_event::text || ':' || p_user));

  SELECT status, hold_seconds, per_user_limit, title INTO ev FROM events WHERE event_id = p_event;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'event_not_found')::text;
  END IF;
  IF NOT ev.status = ANY (p_selling) THEN
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'not_on_sale')::text;
  END IF;

  SELECT
    (SELECT count(*)::int FROM units u JOIN orders o ON o.order_id = u.order_id
      WHERE o.user_id = p_user AND o.event_id = p_event AND u.event_id = p_event),
    EXISTS (SELECT 1 FROM orders WHERE admission_id = p_admission)
  INTO v_owned, v_used;

  IF v_owned + p_quantity > ev.per_user_limit OR v_used THEN
    v_unknown := hold_unknown_seats(p_event, p_seats);
    IF cardinality(v_unknown) > 0 THEN
      RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
        DETAIL = json_build_object('reason', 'unknown_seats', 'unknown', v_unknown)::text;
    END IF;
    IF v_owned + p_quantity > ev.per_user_limit THEN
      RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
        DETAIL = json_build_object('reason', 'limit_exceeded', 'limit', ev.per_user_limit, 'owned', v_owned)::text;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'admission_used')::text;
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
      v_unknown := hold_unknown_seats(p_event, p_seats);
      IF cardinality(v_unknown) > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
          DETAIL = json_build_object('reason', 'unknown_seats', 'unknown', v_unknown)::text;
      END IF;
      RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
        DETAIL = json_build_object('reason', 'seats_taken', 'taken',
          ARRAY(SELECT s FROM unnest(p_seats) s WHERE NOT s = ANY (v_ids) ORDER BY s))::text;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'not_enough_available', 'available', v_n)::text;
  END IF;
  IF v_ncur > 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'mixed_currencies')::text;
  END IF;

  v_expires := p_now + make_interval(secs => ev.hold_seconds);
  INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency,
                      created_at, expires_at)
  VALUES (p_order, p_event, p_user, p_email, p_admission, 'pending_payment', v_amount, v_currency,
          p_now, v_expires)
  ON CONFLICT (admission_id) DO NOTHING
  RETURNING * INTO v_order;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'TSHLD', MESSAGE = 'hold refused',
      DETAIL = json_build_object('reason', 'admission_used')::text;
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

/** The asked seats the event does not have (error paths only). */
export const HOLD_UNKNOWN_SEATS_V1 = `
CREATE OR REPLACE FUNCTION hold_unknown_seats(p_event uuid, p_seats text[]) RETURNS text[]
LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM unnest(p_seats) s
  WHERE NOT EXISTS (SELECT 1 FROM units WHERE event_id = p_event AND unit_id = s)
$fn$`;

export class HoldFunction1700000000002 implements MigrationInterface {
  name = 'HoldFunction1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(HOLD_UNKNOWN_SEATS_V1);
    await q.query(HOLD_UNITS_V1);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION hold_units(uuid, text[], text, int, text, text, text, uuid, timestamptz,
      text[], jsonb, jsonb, bigint)`);
    await q.query(`DROP FUNCTION hold_unknown_seats(uuid, text[])`);
  }
}

-- Holds: seats for admitted fans, all or nothing per fan, many fans of one event per call.
-- Called only by data/hold-store.ts (PgHoldStore), inside the transaction that also writes
-- the orders' order.created messages to the outbox.
--
-- hold_units_batch runs the holds that reached one purchase instance for one event while
-- its previous batch was in flight, in one statement and one commit (group commit: when a
-- hold was a transaction and a WAL flush of its own, PostgreSQL's CPU per hold request in
-- bench:purchase was 0.6–0.8 ms).
--
-- Locks, taken for the whole batch before the first hold, in the global order of
-- libs/common/src/db/locks.ts (the caller passes the keys):
--   1. purchase.event, shared (an event's cancellation takes it exclusively);
--   2. every fan's purchase.fan, in the order of their keys: the per-user limit is exact
--      because each later statement's snapshot, taken once the lock was granted, sees
--      every earlier hold of that fan;
--   3. every still-available chosen seat, in unit_id order. A row that stopped being
--      available while we waited for its lock fails hold_one's recheck of
--      status = 'available' and is left out: that recheck is what makes overselling
--      impossible. Best-available holds (a category's places, a block of adjacent seats in
--      best_block of sql/best-available.sql, a mixed order's standing places) lock with
--      SKIP LOCKED and never wait;
--   4. (the caller) the outbox's shared write lock, when it writes the messages.
-- Two batches (of two instances) therefore lock in one order and cannot deadlock.
--
-- Each hold's outcome is its own: a refusal writes nothing, so it leaves the other holds
-- of its batch untouched. Holds run in the batch's order; a later hold sees what the
-- earlier ones took (a seat taken earlier in the batch is seats_taken). An error (not a
-- refusal) rolls back the whole batch; the caller then runs its holds one at a time.
--
-- Every statement is planned once per connection (force_generic_plan) and never as a
-- sequential scan (enable_seqscan off): a hold's lookups are all by key; the orders table
-- starts a sale empty, and a plan made then (a scan of a tiny table) would be reused while
-- the table grows by thousands of orders a minute. Which asked seats do not exist is found
-- through the primary key (an anti-join was planned as a scan of the event's units).
--
-- p_holds is a JSON array of {seats: text[] | null, category, together, standing,
-- standingQuantity, quantity, user, email, person, admission, order}; the answer is a JSON
-- array, in the same order, of hold_one's answers. `quantity` is the whole order's count (the
-- per-fan limit counts it): the chosen seats or the category's places, plus `standingQuantity`
-- places of the `standing` category in the same order (a mixed seated + standing order).
--
-- One person, one place (issue 17.8): `person` is the canonical address of the fan's account
-- (libs/common canonicalEmail). The first hold that succeeds claims (event, person) in
-- order_persons for its account, in the hold's own statement, so a refused hold claims
-- nothing; a later hold by another account of that person is refused person_has_account.
-- Two accounts of one person hold under different fan locks: the claim's primary key makes
-- the later insert wait for the earlier and find it; hold_one then raises, the batch rolls
-- back, and the caller's one-at-a-time retry refuses the later hold cleanly.

CREATE OR REPLACE FUNCTION hold_units_batch(
  p_event uuid, p_holds jsonb, p_now timestamptz, p_selling text[],
  p_event_lock bigint, p_fan_locks bigint[]
) RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $fn$
DECLARE
  h jsonb;
  r jsonb;
  v_out jsonb[] := '{}';
  v_wrote boolean := false;
BEGIN
  PERFORM pg_advisory_xact_lock_shared(p_event_lock);
  PERFORM pg_advisory_xact_lock(k) FROM (SELECT DISTINCT unnest(p_fan_locks) AS k ORDER BY 1) l;
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
      h ->> 'category', coalesce((h ->> 'together')::boolean, false),
      h ->> 'standing', coalesce((h ->> 'standingQuantity')::int, 0),
      (h ->> 'quantity')::int, h ->> 'user', h ->> 'email', h ->> 'person',
      h ->> 'admission', (h ->> 'order')::uuid, p_now, p_selling);
    v_wrote := v_wrote OR NOT r ? 'refused';
    v_out := v_out || r;
  END LOOP;
  IF NOT v_wrote THEN
    -- Nothing was written (only row locks taken): the commit need not wait for the WAL flush.
    PERFORM set_config('synchronous_commit', 'off', true);
  END IF;
  RETURN to_jsonb(v_out);
END
$fn$;

-- One fan's hold, with hold_units_batch's locks already held. Answers
-- {order: <orders row>, items: [<order_items rows>], title} or {refused: {reason, …}};
-- a refusal has written nothing. The orders' unique index on live orders per admission
-- (orders_live_admission) stays the last word on one live order per admission: after a
-- failed, released or lapsed order the fan may hold again.
CREATE OR REPLACE FUNCTION hold_one(
  p_event uuid, p_seats text[], p_category text, p_together boolean, p_standing text, p_standing_qty int,
  p_quantity int,
  p_user text, p_email text, p_person text, p_admission text, p_order uuid, p_now timestamptz,
  p_selling text[]
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  ev record;
  v_claimant text;
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
  v_order orders;
  v_items jsonb;
  v_held int;
  v_main int := p_quantity - p_standing_qty;
  v_kind text;
BEGIN
  -- The event, the person's claim, what the fan owns and whether the admission is in use, in
  -- one statement (each statement of a PL/pgSQL function is an executor run of its own; this
  -- is every hold's first work). The refusals keep their order below.
  SELECT e.status, e.hold_seconds, e.per_user_limit, e.title,
    (SELECT user_id FROM order_persons WHERE event_id = p_event AND person = p_person) AS claimant,
    (SELECT count(*)::int FROM units u JOIN orders o ON o.order_id = u.order_id
      WHERE o.user_id = p_user AND o.event_id = p_event AND u.event_id = p_event) AS owned,
    EXISTS (SELECT 1 FROM orders WHERE admission_id = p_admission
            AND status IN ('pending_payment', 'confirmed', 'paid', 'refunded')) AS used
  INTO ev FROM events e WHERE e.event_id = p_event;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'event_not_found'));
  END IF;
  IF NOT ev.status = ANY (p_selling) THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'not_on_sale'));
  END IF;
  v_claimant := ev.claimant;
  IF v_claimant IS NOT NULL AND v_claimant <> p_user THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'person_has_account'));
  END IF;
  v_owned := ev.owned;
  v_used := ev.used;

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
    IF p_together THEN
      -- General-admission places are interchangeable: "together" means nothing there.
      SELECT c ->> 'kind' INTO v_kind FROM events, jsonb_array_elements(categories) c
        WHERE event_id = p_event AND c ->> 'id' = p_category;
    END IF;
    IF v_kind = 'reserved' THEN
      v_ctids := best_block(p_event, p_category, v_main);
      IF v_ctids IS NULL THEN
        RETURN jsonb_build_object('refused', no_adjacent(p_event, p_category, v_main));
      END IF;
      SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}'), count(*),
             count(DISTINCT currency), sum(price_minor), min(currency)
        INTO v_ids, v_n, v_ncur, v_amount, v_currency
        FROM units WHERE ctid = ANY (v_ctids);
    ELSE
      SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}'), array_agg(ctid), count(*),
             count(DISTINCT currency), sum(price_minor), min(currency)
        INTO v_ids, v_ctids, v_n, v_ncur, v_amount, v_currency
        FROM (SELECT unit_id, ctid, currency, price_minor FROM units
              WHERE event_id = p_event AND category_id = p_category AND status = 'available'
              ORDER BY ordinal LIMIT v_main FOR UPDATE SKIP LOCKED) c;
    END IF;
  END IF;

  IF v_n < v_main THEN
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
  IF p_standing_qty > 0 THEN
    -- A mixed order: standing places of a general-admission category join the seats (never
    -- the rows just chosen: SKIP LOCKED does not skip our own locks).
    v_ctids := v_ctids || ARRAY(
      SELECT ctid FROM (SELECT ctid FROM units
        WHERE event_id = p_event AND category_id = p_standing AND status = 'available'
          AND NOT ctid = ANY (v_ctids)
        ORDER BY ordinal LIMIT p_standing_qty FOR UPDATE SKIP LOCKED) s);
    IF cardinality(v_ctids) < p_quantity THEN
      RETURN jsonb_build_object('refused', json_build_object('reason', 'not_enough_available',
        'available', cardinality(v_ctids) - v_main, 'category', p_standing));
    END IF;
    SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}'), count(*),
           count(DISTINCT currency), sum(price_minor), min(currency)
      INTO v_ids, v_n, v_ncur, v_amount, v_currency
      FROM units WHERE ctid = ANY (v_ctids);
  END IF;
  IF v_ncur > 1 THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'mixed_currencies'));
  END IF;

  INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency,
                      created_at, expires_at)
  VALUES (p_order, p_event, p_user, p_email, p_admission, 'pending_payment', v_amount, v_currency,
          p_now, p_now + make_interval(secs => ev.hold_seconds))
  ON CONFLICT (admission_id) WHERE status IN ('pending_payment', 'confirmed', 'paid', 'refunded') DO NOTHING
  RETURNING * INTO v_order;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('refused', json_build_object('reason', 'admission_used'));
  END IF;
  IF v_claimant IS NULL THEN
    INSERT INTO order_persons (event_id, person, user_id) VALUES (p_event, p_person, p_user)
    ON CONFLICT (event_id, person) DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'another account of this person claimed event % meanwhile', p_event;
    END IF;
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

  RETURN jsonb_build_object('order', to_jsonb(v_order), 'items', v_items, 'title', ev.title);
END
$fn$;

-- A card's authorization for an order (payment.authorized): the checks and writes of
-- domain/payments.ts onPaymentAuthorized in one statement. Called only by
-- data/authorization-store.ts, as the first of a transaction's two round trips: BEGIN with
-- this, then the tickets (their codes are signed by the service, which holds the keys), the
-- order's status and its message with COMMIT. As separate statements it was some fourteen
-- round trips, each waiting on the consumer's busy event loop in an on-sale (issue 21).
--
-- The message is applied once: its id goes into processed_messages first (the consumer's
-- processOnce), and a repeat answers 'duplicate' having written nothing.
--
-- Locks, in this order (the order of the statements it replaced): the order's row (its
-- UPDATE), the event's card row (event_cards, when the per-card limit applies), the order's
-- units in unit_id order. The card's row before the units: an expired order's units may be
-- held by the same fan's newer order, whose own authorization takes the card first too.
--
-- Answers jsonb, `outcome` one of:
--   duplicate  the message was applied before; nothing written.
--   unknown    no such order.
--   ignored    the order is past its payment (confirmed, paid, failed, refunded): nothing.
--   cancelled  the order is cancelled, with `reason`; `already`: it was before this (only
--              its order.cancelled is to be said again, so payment voids this authorization).
--              Otherwise this cancelled it: its held seats released. `owned` and `limit` when
--              the card's per-fan limit was the reason.
--   secured    the seats are the order's, sold; `units` the ones still without a ticket
--              ({unit_id, starts_at}), for the caller to issue before it confirms the order.
-- `order` is the order's row (as orders-repo's OrderRow) for every outcome but the first two.
--
-- Never a sequential scan (enable_seqscan off, as hold_units_batch): every lookup is by key,
-- and a plan cached while the tables were small must not be reused as they grow in a sale.
CREATE OR REPLACE FUNCTION secure_authorization(
  p_consumer text, p_message uuid, p_order uuid, p_intent text, p_buyer text,
  p_card text, p_amount bigint
) RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off AS $fn$
DECLARE
  o orders%ROWTYPE;
  v_ids text[];
  v_event events%ROWTYPE;
  v_owned int;
  v_locked int;
  v_securable boolean;
  v_reason text;
BEGIN
  INSERT INTO processed_messages (consumer, message_id) VALUES (p_consumer, p_message)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate');
  END IF;

  -- An UPDATE locks the row as FOR UPDATE does. The card's fingerprint only where the caller
  -- applies the per-card limit (it passes NULL otherwise).
  UPDATE orders SET payment_intent_id = coalesce(p_intent, payment_intent_id),
         buyer_name = coalesce(p_buyer, buyer_name),
         card_fingerprint = coalesce(p_card, card_fingerprint)
   WHERE order_id = p_order RETURNING * INTO o;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'unknown');
  END IF;

  IF o.status = 'cancelled' THEN
    RETURN jsonb_build_object('outcome', 'cancelled', 'already', true,
      'reason', coalesce(o.reason, 'cancelled'), 'order', to_jsonb(o));
  END IF;
  IF o.status NOT IN ('pending_payment', 'expired') THEN
    RETURN jsonb_build_object('outcome', 'ignored', 'order', to_jsonb(o));
  END IF;

  -- The hold lapsed and the fan has since held again with the same admission: that newer
  -- order is the one they are buying (ORDER_REASON.superseded).
  IF o.status = 'expired' AND EXISTS (
       SELECT 1 FROM orders WHERE admission_id = o.admission_id AND order_id <> o.order_id
          AND status IN ('pending_payment', 'confirmed', 'paid', 'refunded')) THEN
    RETURN cancel_authorized_order(o.order_id, 'superseded', '{}'::jsonb);
  END IF;

  SELECT coalesce(array_agg(unit_id ORDER BY unit_id), '{}') INTO v_ids
    FROM order_items WHERE order_id = o.order_id;
  SELECT * INTO v_event FROM events WHERE event_id = o.event_id;

  -- One card, one fan's share (issue 17.8; ORDER_REASON.cardLimitExceeded). DO UPDATE (not DO
  -- NOTHING), so the statement itself takes the row lock, inserted or not: of two
  -- authorizations with one card, the second counts the first's tickets.
  IF p_card IS NOT NULL AND v_event.event_id IS NOT NULL THEN
    INSERT INTO event_cards (event_id, fingerprint) VALUES (o.event_id, p_card)
      ON CONFLICT (event_id, fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint;
    SELECT count(*)::int INTO v_owned FROM units u JOIN orders c ON c.order_id = u.order_id
     WHERE c.event_id = o.event_id AND c.card_fingerprint = p_card AND c.status IN ('confirmed', 'paid')
       AND c.order_id <> o.order_id AND u.event_id = o.event_id;
    IF v_owned + cardinality(v_ids) > v_event.per_user_limit THEN
      RETURN cancel_authorized_order(o.order_id, 'card_limit_exceeded',
        jsonb_build_object('owned', v_owned, 'limit', v_event.per_user_limit));
    END IF;
  END IF;

  -- Secured if each seat is still held by this order or, the hold lapsed, still free.
  SELECT count(*)::int, coalesce(bool_and((status = 'held' AND order_id = o.order_id) OR status = 'available'), true)
    INTO v_locked, v_securable
    FROM (SELECT status, order_id FROM units WHERE event_id = o.event_id AND unit_id = ANY(v_ids)
          ORDER BY unit_id FOR UPDATE) AS locked;
  IF coalesce(v_event.status, '') = 'cancelled' OR p_amount <> o.amount_minor
     OR v_locked <> cardinality(v_ids) OR NOT v_securable THEN
    v_reason := CASE WHEN p_amount <> o.amount_minor THEN 'amount_mismatch' ELSE 'seats_unavailable' END;
    RETURN cancel_authorized_order(o.order_id, v_reason, '{}'::jsonb);
  END IF;

  UPDATE units SET status = 'sold', order_id = o.order_id, change_seq = nextval('unit_change_seq')
   WHERE event_id = o.event_id AND unit_id = ANY(v_ids);
  -- The event's start (in each ticket's signed code) is the one read above; no event, no tickets.
  RETURN jsonb_build_object('outcome', 'secured', 'order', to_jsonb(o), 'units', (
    SELECT coalesce(jsonb_agg(jsonb_build_object('unit_id', i.unit_id, 'starts_at', v_event.starts_at)
                              ORDER BY i.unit_id), '[]')
      FROM order_items i
     WHERE i.order_id = o.order_id AND v_event.event_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = i.order_id AND t.unit_id = i.unit_id)));
END;
$fn$;

-- Cancels an order awaiting payment (domain/orders.ts cancelOrder): its held seats go back on
-- sale, locked in (event, unit) order as every release locks them; the caller writes its
-- order.cancelled, on which payment voids the authorization.
CREATE OR REPLACE FUNCTION cancel_authorized_order(p_order uuid, p_reason text, p_extra jsonb)
RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off AS $fn$
DECLARE
  o orders%ROWTYPE;
BEGIN
  PERFORM 1 FROM units WHERE order_id = p_order AND status = 'held'
    ORDER BY event_id, unit_id FOR UPDATE;
  UPDATE units SET status = 'available', order_id = NULL, change_seq = nextval('unit_change_seq')
   WHERE order_id = p_order AND status = 'held';
  UPDATE orders SET status = 'cancelled', reason = p_reason, updated_at = now()
   WHERE order_id = p_order RETURNING * INTO o;
  RETURN jsonb_build_object('outcome', 'cancelled', 'already', false, 'reason', p_reason,
    'order', to_jsonb(o)) || p_extra;
END;
$fn$;

-- A capture (payment.captured) of an order whose tickets were issued at its authorization, the
-- usual case: in one statement, the message recorded as processed, the order locked with the
-- buyer's name kept, marked paid and its confirmation mail queued (domain/payments.ts
-- onPaymentCaptured, which was seven round trips in a processOnce). Called only by
-- data/authorization-store.ts, on its own (autocommit: the statement is the transaction).
-- Answers jsonb, `outcome` one of: duplicate (applied before: nothing written), unknown (no
-- such order), ignored (the order is not confirmed: `status` says what it is), paid, or
-- needs_tickets: a unit of the order has no ticket (an order confirmed before tickets came
-- with the authorization); nothing is recorded, and the caller applies the message the long
-- way, which issues them.
CREATE OR REPLACE FUNCTION settle_capture(p_consumer text, p_message uuid, p_order uuid, p_buyer text)
RETURNS jsonb LANGUAGE plpgsql
SET enable_seqscan = off AS $fn$
DECLARE
  o orders%ROWTYPE;
BEGIN
  IF EXISTS (SELECT 1 FROM processed_messages WHERE consumer = p_consumer AND message_id = p_message) THEN
    RETURN jsonb_build_object('outcome', 'duplicate');
  END IF;
  UPDATE orders SET buyer_name = coalesce(p_buyer, buyer_name)
   WHERE order_id = p_order RETURNING * INTO o;
  IF NOT FOUND OR o.status <> 'confirmed' THEN
    -- A delivery of the same message at once waits on the first's row here and does nothing.
    INSERT INTO processed_messages (consumer, message_id) VALUES (p_consumer, p_message)
      ON CONFLICT DO NOTHING;
    RETURN CASE WHEN o.order_id IS NULL THEN jsonb_build_object('outcome', 'unknown')
                ELSE jsonb_build_object('outcome', 'ignored', 'status', o.status) END;
  END IF;
  IF EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = p_order
               AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = i.order_id AND t.unit_id = i.unit_id)) THEN
    RETURN jsonb_build_object('outcome', 'needs_tickets');
  END IF;
  -- orders-repo's setStatus for 'paid': when it was paid, once.
  UPDATE orders SET status = 'paid', reason = NULL, updated_at = now(), paid_at = coalesce(paid_at, now())
   WHERE order_id = p_order;
  INSERT INTO mail_outbox (order_id, kind) VALUES (p_order, 'confirmation') ON CONFLICT DO NOTHING;
  INSERT INTO processed_messages (consumer, message_id) VALUES (p_consumer, p_message)
    ON CONFLICT DO NOTHING;
  RETURN jsonb_build_object('outcome', 'paid');
END;
$fn$;

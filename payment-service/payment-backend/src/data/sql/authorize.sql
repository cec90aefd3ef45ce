-- A card's authorization, recorded in one call (issue 21): called only by
-- data/payment-repository.ts (`authorize`), as the first trip of a two-trip transaction
-- whose second trip writes payment.authorized to the outbox and commits. As separate
-- statements it was nine round trips holding one of payment's pool connections (BEGIN, the
-- Stripe event, the session, the order's lock, two buyer-name updates, the payment, the
-- outbox, COMMIT), the connections an on-sale's money path queues for.
--
-- In order: the Stripe event (or the fan's return) is remembered once (a second delivery
-- answers `duplicate` and changes nothing); the Checkout Session it completes is closed;
-- the order is locked; an intent not ready to capture, or an order we do not know, is
-- `ignored`; an intent for another amount or currency is `stray` (the caller cancels it at
-- Stripe); the buyer's name is kept; then the payment is inserted, the first authorization
-- of an order winning: a later one for the same intent is `duplicate`, for another `stray`.
-- Answers {outcome, eventId, amountMinor, currency} (the order's, for the message), and for
-- `stray` the order's amount and currency (for the log).
--
-- Plans are generic and made once per connection; every read is by primary key.

-- The buyer's name as the checkout gave it, kept on the order and on its payment if that has
-- none yet (both callers below).
CREATE OR REPLACE FUNCTION keep_buyer_name(p_order uuid, p_buyer text) RETURNS void LANGUAGE sql VOLATILE AS $$
  UPDATE orders SET buyer_name = p_buyer WHERE order_id = p_order;
  UPDATE payments SET buyer_name = p_buyer WHERE order_id = p_order AND buyer_name IS NULL;
$$;

CREATE OR REPLACE FUNCTION authorize_payment(
  p_stripe_event text, p_type text, p_session text, p_order uuid,
  p_intent text, p_intent_status text, p_amount int, p_currency text, p_buyer text
) RETURNS json LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  o orders;
  v_existing text;
BEGIN
  INSERT INTO stripe_events (stripe_event_id, type) VALUES (p_stripe_event, p_type) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN json_build_object('outcome', 'duplicate');
  END IF;
  IF p_session IS NOT NULL THEN
    UPDATE checkout_sessions SET status = 'complete', url = NULL WHERE session_id = p_session AND status = 'open';
  END IF;
  IF p_order IS NOT NULL THEN
    SELECT * INTO o FROM orders WHERE order_id = p_order FOR UPDATE;
  END IF;
  IF o.order_id IS NULL OR p_intent IS NULL THEN
    RETURN json_build_object('outcome', 'no_order');
  END IF;
  IF p_intent_status IS DISTINCT FROM 'requires_capture' THEN
    RETURN json_build_object('outcome', 'not_authorized');
  END IF;
  IF p_amount IS DISTINCT FROM o.amount_minor OR p_currency IS DISTINCT FROM o.currency THEN
    RETURN json_build_object('outcome', 'stray', 'amountMinor', o.amount_minor, 'currency', o.currency);
  END IF;
  IF p_buyer IS NOT NULL THEN
    PERFORM keep_buyer_name(p_order, p_buyer);
  END IF;
  INSERT INTO payments (order_id, payment_intent_id, event_id, amount_minor, currency, status, buyer_name)
  VALUES (p_order, p_intent, o.event_id, o.amount_minor, o.currency, 'authorized', coalesce(p_buyer, o.buyer_name))
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    SELECT payment_intent_id INTO v_existing FROM payments WHERE order_id = p_order;
    RETURN json_build_object('outcome', CASE WHEN v_existing = p_intent THEN 'duplicate' ELSE 'stray' END);
  END IF;
  RETURN json_build_object('outcome', 'authorized', 'eventId', o.event_id, 'amountMinor', o.amount_minor,
    'currency', o.currency);
END $$;

-- A later event of a checkout whose authorization is recorded (checkout.session.completed
-- after charge.succeeded or the fan's return), in one call: when the order's payment is
-- this intent, the event is remembered once, the session closed and the buyer's name kept,
-- and it answers {recorded: true}; otherwise nothing is written and it answers
-- {recorded: false} (the caller then authorizes from it). Was a read and a transaction of
-- six round trips.
CREATE OR REPLACE FUNCTION record_session_completed(
  p_stripe_event text, p_type text, p_session text, p_order uuid, p_intent text, p_buyer text
) RETURNS json LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM 1 FROM payments WHERE order_id = p_order AND payment_intent_id = p_intent;
  IF NOT FOUND THEN
    RETURN json_build_object('recorded', false);
  END IF;
  INSERT INTO stripe_events (stripe_event_id, type) VALUES (p_stripe_event, p_type) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    UPDATE checkout_sessions SET status = 'complete', url = NULL WHERE session_id = p_session AND status = 'open';
    IF p_buyer IS NOT NULL THEN
      PERFORM keep_buyer_name(p_order, p_buyer);
    END IF;
  END IF;
  RETURN json_build_object('recorded', true);
END $$;

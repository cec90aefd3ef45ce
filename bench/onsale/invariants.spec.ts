import type { StripeStandInSnapshot } from '@ticketslave/dev/stripe';
import { fanViolations } from './invariants';
import { reconcileStripe, type OrderRow, type PaymentRow } from './reconcile';

type Intent = StripeStandInSnapshot['paymentIntents'][string];
type Refund = StripeStandInSnapshot['refunds'][string];

const EVENT = 'event-1';

function intent(
  id: string,
  orderId: string,
  status: Intent['status'],
  amount = 1000,
  eventId = EVENT,
): Intent {
  return {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: status === 'requires_capture' ? amount : 0,
    amount_received: status === 'succeeded' ? amount : 0,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'manual',
    client_secret: `${id}_secret`,
    created: 0,
    currency: 'eur',
    description: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: { orderId, eventId },
    payment_method: null,
    payment_method_types: ['card'],
    status,
  };
}

const refund = (id: string, pi: string, amount: number): Refund => ({
  id,
  object: 'refund',
  amount,
  charge: `ch_${pi}`,
  created: 0,
  currency: 'eur',
  metadata: {},
  payment_intent: pi,
  reason: null,
  status: 'succeeded',
});

/** One order captured and ticketed, one refunded with its tickets void, one voided before capture. */
function cleanSale() {
  const ledger = {
    paymentIntents: {
      pi_a: intent('pi_a', 'o-a', 'succeeded'),
      pi_b: intent('pi_b', 'o-b', 'succeeded'),
      pi_c: intent('pi_c', 'o-c', 'canceled'),
    },
    refunds: { re_b: refund('re_b', 'pi_b', 1000) },
  };
  const payments: PaymentRow[] = [
    { orderId: 'o-a', paymentIntentId: 'pi_a', amountMinor: 1000, status: 'captured' },
    { orderId: 'o-b', paymentIntentId: 'pi_b', amountMinor: 1000, status: 'refunded' },
    { orderId: 'o-c', paymentIntentId: 'pi_c', amountMinor: 1000, status: 'voided' },
  ];
  const orders: OrderRow[] = [
    { orderId: 'o-a', status: 'paid', amountMinor: 1000, items: 2, validTickets: 2 },
    { orderId: 'o-b', status: 'refunded', amountMinor: 1000, items: 2, validTickets: 0 },
    { orderId: 'o-c', status: 'expired', amountMinor: 1000, items: 1, validTickets: 0 },
  ];
  return { ledger, payments, orders };
}

describe('reconcileStripe (Stripe ledger ↔ payment rows ↔ orders and tickets)', () => {
  it('when every intent, row and order agree, then finds nothing and the money matches', () => {
    const { ledger, payments, orders } = cleanSale();
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual([]);
    expect(r.capturedMinor).toBe(1000);
    expect(r.paidOrdersMinor).toBe(1000);
  });

  it('when an intent was captured but its order has no tickets, then reports it', () => {
    const { ledger, payments, orders } = cleanSale();
    orders[0] = { ...orders[0]!, validTickets: 0 };
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual([expect.stringContaining('captured intents without')]);
    expect(r.violations[0]).toContain('pi_a');
  });

  it('when an intent was captured but payment has no row for it, then reports it and the money', () => {
    const { ledger, payments, orders } = cleanSale();
    const r = reconcileStripe(ledger, EVENT, payments.slice(1), orders);
    expect(r.violations).toEqual([
      expect.stringContaining('captured intents without'),
      expect.stringContaining('paid orders without a captured payment'),
      expect.stringContaining('money: Stripe kept 1000, paid orders 1000, captured payment rows 0'),
    ]);
  });

  it('when an order is paid but Stripe holds no money for it, then reports the row and the money', () => {
    const { ledger, payments, orders } = cleanSale();
    delete (ledger.paymentIntents as Record<string, Intent>).pi_a;
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual([
      expect.stringContaining('payment rows Stripe does not agree with'),
      expect.stringContaining('money: Stripe kept 0, paid orders 1000'),
    ]);
  });

  it('when a refunded order still has a valid ticket, then reports it', () => {
    const { ledger, payments, orders } = cleanSale();
    orders[1] = { ...orders[1]!, validTickets: 1 };
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual([expect.stringContaining('refunded intents without')]);
  });

  it('when Stripe refunded but the payment row still says captured, then reports both directions', () => {
    const { ledger, payments, orders } = cleanSale();
    payments[1] = { ...payments[1]!, status: 'captured' };
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual(
      expect.arrayContaining([
        expect.stringContaining('refunded intents without'),
        expect.stringContaining('payment rows Stripe does not agree with'),
      ]),
    );
  });

  it('when an intent is left requires_capture, then reports it', () => {
    const { ledger, payments, orders } = cleanSale();
    (ledger.paymentIntents as Record<string, Intent>).pi_d = intent('pi_d', 'o-d', 'requires_capture');
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual([expect.stringContaining('requires_capture: "pi_d"')]);
  });

  it('when an intent was only partly refunded, then reports it', () => {
    const { ledger, payments, orders } = cleanSale();
    (ledger.refunds as Record<string, Refund>).re_b = refund('re_b', 'pi_b', 400);
    const r = reconcileStripe(ledger, EVENT, payments, orders);
    expect(r.violations).toEqual(expect.arrayContaining([expect.stringContaining('partly refunded')]));
  });

  it("when another event's intents are in the ledger, then leaves them out", () => {
    const { ledger, payments, orders } = cleanSale();
    (ledger.paymentIntents as Record<string, Intent>).pi_x = intent(
      'pi_x',
      'o-x',
      'requires_capture',
      500,
      'other',
    );
    expect(reconcileStripe(ledger, EVENT, payments, orders).violations).toEqual([]);
  });
});

describe('fanViolations (what the fans were answered, how they ended)', () => {
  const fair = { order_paid: 5, no_seats: 3, sold_out: 2 };

  it('when every answer is below 500 and every fan ended fairly, then finds nothing', () => {
    const r = fanViolations(fair, { 'purchase POST holds': { '201': 5, '409': 9 } });
    expect(r.violations).toEqual([]);
    expect(r.summary).toContain('10/10 fans ended fairly');
  });

  it('when one hold was answered 500, then reports it, even in a drill', () => {
    const statuses = { 'purchase POST holds': { '201': 5, '500': 1 } };
    expect(fanViolations(fair, statuses).violations).toEqual([
      expect.stringContaining('"purchase POST holds 500":1'),
    ]);
    expect(fanViolations(fair, statuses, true).violations).toHaveLength(1);
  });

  it('when a request got no answer or a 503, then reports it, but not as the outage of a drill', () => {
    const statuses = { 'purchase POST holds': { '0': 2, '503': 1, '201': 5 } };
    expect(fanViolations(fair, statuses).violations).toEqual([
      expect.stringContaining('"purchase POST holds 0":2,"purchase POST holds 503":1'),
    ]);
    expect(fanViolations(fair, statuses, true).violations).toEqual([]);
  });

  it.each(['hold_internal', 'checkout_failed', 'order_unsettled', 'decline_card_accepted?!', 'pay_failed'])(
    'when a fan ended %s, then reports the fan',
    (outcome) => {
      const r = fanViolations({ ...fair, [outcome]: 1 }, {});
      expect(r.violations).toEqual([`fans failed by the platform: ${JSON.stringify({ [outcome]: 1 })}`]);
    },
  );
});

/**
 * Stripe reconciliation for the on-sale invariants: the Stripe stand-in's ledger (what
 * money really moved) against payment's rows and purchase's orders and tickets. Pure:
 * the caller reads the rows; here every direction is checked.
 *
 * - every captured intent (`succeeded`, nothing refunded) ↔ a `captured` payment row of
 *   the same amount ↔ a `paid` order with all its tickets valid;
 * - every refunded intent ↔ a `refunded` payment row ↔ an order with no valid ticket;
 * - no intent left `requires_capture` (an authorization nobody captured or released);
 * - money captured net of refunds = Σ paid orders = Σ captured payment rows.
 */
import type { StripeStandInSnapshot } from '@ticketslave/dev/stripe';

export interface PaymentRow {
  orderId: string;
  paymentIntentId: string;
  amountMinor: number;
  status: string;
}

export interface OrderRow {
  orderId: string;
  status: string;
  amountMinor: number;
  /** Units the order holds (order_items). */
  items: number;
  validTickets: number;
}

export interface Reconciliation {
  violations: string[];
  /** One line for the report. */
  summary: string;
  capturedMinor: number;
  paidOrdersMinor: number;
}

type Ledger = Pick<StripeStandInSnapshot, 'paymentIntents' | 'refunds'>;

const MAX_LISTED = 5;
const listed = (xs: unknown[]) =>
  xs
    .slice(0, MAX_LISTED)
    .map((x) => JSON.stringify(x))
    .join(', ') + (xs.length > MAX_LISTED ? ` … (${xs.length})` : '');

export function reconcileStripe(
  ledger: Ledger,
  eventId: string,
  payments: PaymentRow[],
  orders: OrderRow[],
): Reconciliation {
  const violations: string[] = [];
  const intents = Object.values(ledger.paymentIntents).filter((pi) => pi.metadata.eventId === eventId);
  const refundedBy = new Map<string, number>();
  const refundCount = new Map<string, number>();
  for (const r of Object.values(ledger.refunds)) {
    refundedBy.set(r.payment_intent, (refundedBy.get(r.payment_intent) ?? 0) + r.amount);
    refundCount.set(r.payment_intent, (refundCount.get(r.payment_intent) ?? 0) + 1);
  }
  const paymentByIntent = new Map(payments.map((p) => [p.paymentIntentId, p]));
  const orderById = new Map(orders.map((o) => [o.orderId, o]));
  const intentById = new Map(intents.map((pi) => [pi.id, pi]));

  const capturedNotTicketed: unknown[] = [];
  const refundedNotVoid: unknown[] = [];
  const partlyRefunded: unknown[] = [];
  let capturedMinor = 0;
  let kept = 0;
  let refunded = 0;
  for (const pi of intents) {
    if (pi.status !== 'succeeded') continue;
    const back = refundedBy.get(pi.id) ?? 0;
    capturedMinor += pi.amount_received - back;
    const pay = paymentByIntent.get(pi.id);
    const order = pay ? orderById.get(pay.orderId) : undefined;
    const facts = {
      intent: pi.id,
      order: pi.metadata.orderId,
      payment: pay?.status ?? null,
      orderStatus: order?.status ?? null,
      tickets: order ? `${order.validTickets}/${order.items}` : null,
    };
    if (pay && pay.orderId !== pi.metadata.orderId)
      violations.push(
        `intent ${pi.id} is for order ${pi.metadata.orderId}, its payment row for ${pay.orderId}`,
      );
    if (back === 0) {
      kept++;
      const ticketed =
        order !== undefined &&
        order.status === 'paid' &&
        order.items > 0 &&
        order.validTickets === order.items;
      if (pay?.status !== 'captured' || pay.amountMinor !== pi.amount_received || !ticketed)
        capturedNotTicketed.push({
          ...facts,
          amount: pi.amount_received,
          rowAmount: pay?.amountMinor ?? null,
        });
    } else if (back === pi.amount_received) {
      refunded++;
      if (pay?.status !== 'refunded' || !order || order.status === 'paid' || order.validTickets > 0)
        refundedNotVoid.push(facts);
    } else partlyRefunded.push({ intent: pi.id, captured: pi.amount_received, refunded: back });
  }
  if (capturedNotTicketed.length)
    violations.push(
      `captured intents without a captured payment row of their amount and a paid order with all its tickets: ${listed(capturedNotTicketed)}`,
    );
  if (refundedNotVoid.length)
    violations.push(
      `refunded intents without a refunded payment row and an order with no valid ticket: ${listed(refundedNotVoid)}`,
    );
  if (partlyRefunded.length)
    violations.push(`intents partly refunded (the platform refunds whole orders): ${listed(partlyRefunded)}`);

  // A refund object always belongs to a refunded intent of this sale (none left half-way).
  const strayRefunds = Object.values(ledger.refunds).filter((r) => {
    const pi = intentById.get(r.payment_intent);
    return pi !== undefined && pi.status !== 'succeeded';
  });
  if (strayRefunds.length)
    violations.push(`refunds of intents that were never captured: ${listed(strayRefunds.map((r) => r.id))}`);

  const hanging = intents.filter((pi) => pi.status === 'requires_capture');
  if (hanging.length)
    violations.push(`Stripe intents still requires_capture: ${listed(hanging.map((i) => i.id))}`);

  // The other direction: every row that says money moved has that money on Stripe.
  const rowsWithoutMoney: unknown[] = [];
  for (const p of payments) {
    const pi = intentById.get(p.paymentIntentId);
    const back = refundedBy.get(p.paymentIntentId) ?? 0;
    const ok =
      p.status === 'captured'
        ? pi?.status === 'succeeded' && back === 0 && pi.amount_received === p.amountMinor
        : p.status === 'refunded'
          ? pi?.status === 'succeeded' && back === pi.amount_received
          : p.status === 'voided' || p.status === 'failed'
            ? pi?.status !== 'succeeded' && pi?.status !== 'requires_capture'
            : true; // 'authorized' is reported by the caller (an authorization left hanging)
    if (!ok)
      rowsWithoutMoney.push({
        order: p.orderId,
        row: p.status,
        intent: pi?.status ?? 'missing',
        refunded: back,
      });
  }
  if (rowsWithoutMoney.length)
    violations.push(`payment rows Stripe does not agree with: ${listed(rowsWithoutMoney)}`);
  const paidWithoutRow = orders.filter(
    (o) =>
      o.status === 'paid' &&
      !payments.some(
        (p) => p.orderId === o.orderId && p.status === 'captured' && p.amountMinor === o.amountMinor,
      ),
  );
  if (paidWithoutRow.length)
    violations.push(
      `paid orders without a captured payment of their amount: ${listed(paidWithoutRow.map((o) => o.orderId))}`,
    );

  const paidOrdersMinor = orders.filter((o) => o.status === 'paid').reduce((a, o) => a + o.amountMinor, 0);
  const capturedRowsMinor = payments
    .filter((p) => p.status === 'captured')
    .reduce((a, p) => a + p.amountMinor, 0);
  if (capturedMinor !== paidOrdersMinor || capturedMinor !== capturedRowsMinor)
    violations.push(
      `money: Stripe kept ${capturedMinor}, paid orders ${paidOrdersMinor}, captured payment rows ${capturedRowsMinor} (minor units)`,
    );

  const byStatus: Record<string, number> = {};
  for (const i of intents) byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
  return {
    violations,
    capturedMinor,
    paidOrdersMinor,
    summary: `Stripe intents ${JSON.stringify(byStatus)}: ${kept} captured and kept, ${refunded} refunded (${[...refundCount.values()].reduce((a, b) => a + b, 0)} refunds); kept ${capturedMinor} = paid orders ${paidOrdersMinor} = captured rows ${capturedRowsMinor}`,
  };
}

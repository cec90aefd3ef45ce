import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  envelope,
  InputError,
  NotFoundError,
  type Logger,
  type Payload,
} from '@ticketslave/common';
import { requireOnEvent, type Member } from './organiser-access';
import type { Order, OrderTicket, PurchaseStore, Refund, RefundSourceKind, Transact } from './ports';

/** What an organiser asks for: some tickets (or all that are left), maybe a smaller amount, and why. */
export interface RefundRequest {
  /** The tickets to refund; omitted: every ticket not refunded yet. */
  ticketIds?: string[];
  /** Defaults to the tickets' prices (everything left for a whole order). */
  amountMinor?: number;
  reason: string;
  /** false: the tickets are void but their seats stay off sale (a broken seat, a mistake). */
  releaseSeats: boolean;
}

export interface RefundAccepted {
  refundId: string;
  orderId: string;
  status: 'requested';
  amountMinor: number;
  currency: string;
  ticketIds: string[];
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * An organiser refunds an order or some of its tickets. Decided here, under the order's lock:
 * only a paid order, only tickets that are valid and in no other refund (a ticket refunded
 * twice is a 409, and refund_items' UNIQUE would refuse it anyway), never more than was paid
 * and not yet refunded (409). The money moves at Stripe once payment reads refund.requested;
 * the tickets are void and the seats back on sale when payment.refunded says it moved.
 */
export async function requestRefund(
  tx: Transact,
  who: Member,
  orderId: string,
  req: RefundRequest,
): Promise<RefundAccepted> {
  return tx(async (s) => {
    const order = await s.orders.lock(orderId);
    if (!order) throw new NotFoundError('No such order.', 'order_not_found');
    await requireOnEvent(s, who, order.eventId, 'orders.refund');
    if (order.status !== 'paid' && order.status !== 'refunded')
      throw new ConflictError(
        `This order is ${order.status.replace('_', ' ')}: only a paid order can be refunded.`,
        'not_refundable',
      );
    const tickets = await s.tickets.ofOrder(orderId);
    const live = await s.refunds.liveOf(orderId);
    const inRefund = new Set(live.flatMap((r) => r.unitIds));
    const left = order.amountMinor - sum(live.map((r) => r.amountMinor));
    const open = (t: OrderTicket) => t.status === 'valid' && !inRefund.has(t.unitId);

    let chosen: OrderTicket[];
    if (req.ticketIds?.length) {
      const byId = new Map(tickets.map((t) => [t.ticketId, t]));
      const ids = [...new Set(req.ticketIds)];
      const unknown = ids.filter((id) => !byId.has(id));
      if (unknown.length)
        throw new InputError(`ticketIds: ${unknown.length} of the tickets are not in this order`, [
          { path: 'body.ticketIds', message: `not in this order: ${unknown.join(', ')}` },
        ]);
      chosen = ids.map((id) => byId.get(id)!);
      const refunded = chosen.filter((t) => !open(t));
      if (refunded.length)
        throw new ConflictError(
          refunded.length === 1
            ? 'This ticket was refunded already.'
            : `${refunded.length} of these tickets were refunded already.`,
          'already_refunded',
          { ticketIds: refunded.map((t) => t.ticketId) },
        );
    } else {
      chosen = tickets.filter(open);
      if (!chosen.length || left <= 0)
        throw new ConflictError('Everything in this order was refunded already.', 'already_refunded');
    }
    const whole = chosen.length === tickets.filter(open).length;
    const amount = req.amountMinor ?? (whole ? left : sum(chosen.map((t) => t.priceMinor)));
    if (amount > left)
      throw new ConflictError(
        `At most ${left} (minor units) of this order can still be refunded; ${amount} was asked.`,
        'over_refund',
        { refundableMinor: left },
      );
    if (amount <= 0)
      throw new InputError('amountMinor: must be more than 0', [
        { path: 'body.amountMinor', message: 'must be more than 0' },
      ]);
    const refundId = randomUUID();
    await s.refunds.insert({
      refundId,
      orderId,
      eventId: order.eventId,
      source: 'organiser',
      status: 'requested',
      amountMinor: amount,
      reason: req.reason,
      releaseSeats: req.releaseSeats,
      requestedBy: who.sub,
      requestedByEmail: who.email,
      unitIds: chosen.map((t) => t.unitId),
    });
    await s.enqueue([
      {
        topic: 'refund.requested',
        envelope: envelope('refund.requested', {
          refundId,
          orderId,
          eventId: order.eventId,
          amountMinor: amount,
          currency: order.currency,
          reason: req.reason,
        }),
      },
    ]);
    return {
      refundId,
      orderId,
      status: 'requested',
      amountMinor: amount,
      currency: order.currency,
      ticketIds: chosen.map((t) => t.ticketId),
    };
  });
}

/**
 * The money went back (payment.refunded). A refund purchase asked for is settled as asked;
 * one it did not ask for (Stripe's dashboard, a cancelled event, payment's own) is recorded
 * here and takes tickets: all that are left when it covers what is left, else the fewest,
 * dearest first, whose prices cover it. Either way those tickets are void, their seats back
 * on sale unless kept off, the fan gets an e-mail, and the order is refunded once no valid
 * ticket is left.
 */
export async function onPaymentRefunded(
  s: PurchaseStore,
  p: Payload<'payment.refunded'>,
  logger: Logger,
): Promise<void> {
  const order = await s.orders.lock(p.orderId);
  if (!order) {
    logger.warn({ orderId: p.orderId }, 'refund for an unknown order');
    return;
  }
  const asked = p.refundId ? await s.refunds.lock(p.refundId) : undefined;
  if (asked) {
    if (asked.status === 'requested') await settle(s, order, asked);
    return;
  }
  const source: RefundSourceKind =
    p.source === 'stripe' || p.source === 'event_cancelled'
      ? p.source
      : p.reason === 'event_cancelled'
        ? 'event_cancelled'
        : 'payment';
  const releaseSeats =
    source === 'event_cancelled'
      ? false
      : source === 'stripe'
        ? await s.organisations.releaseSeatsOnExternalRefund(order.eventId)
        : p.reason !== 'keep_seats';
  await recordExternal(s, order, {
    refundId: p.refundId ?? randomUUID(),
    source,
    amountMinor: p.refundMinor,
    reason: p.reason ?? (source === 'stripe' ? 'refunded in Stripe' : 'refunded'),
    releaseSeats,
  });
}

/** The fan's bank disputes the payment: its tickets go void (the money is being taken back). */
export async function onPaymentDisputed(s: PurchaseStore, p: Payload<'payment.disputed'>): Promise<void> {
  const order = await s.orders.lock(p.orderId);
  if (!order) return;
  await recordExternal(s, order, {
    refundId: randomUUID(),
    source: 'dispute',
    amountMinor: p.disputedMinor,
    reason: `disputed by the card holder's bank (${p.reason})`,
    releaseSeats: await s.organisations.releaseSeatsOnExternalRefund(order.eventId),
  });
}

/** Payment could not refund what purchase asked: the tickets stay valid and may be refunded again. */
export async function onRefundFailed(s: PurchaseStore, p: Payload<'payment.refund_failed'>): Promise<void> {
  const refund = await s.refunds.lock(p.refundId);
  if (!refund || refund.status !== 'requested') return;
  await s.refunds.settle(refund.refundId, 'failed', p.reason);
  await s.refunds.dropUnits(refund.refundId);
}

async function recordExternal(
  s: PurchaseStore,
  order: Order,
  r: {
    refundId: string;
    source: RefundSourceKind;
    amountMinor: number | undefined;
    reason: string;
    releaseSeats: boolean;
  },
): Promise<void> {
  const tickets = await s.tickets.ofOrder(order.orderId);
  const live = await s.refunds.liveOf(order.orderId);
  const inRefund = new Set(live.flatMap((x) => x.unitIds));
  const open = tickets.filter((t) => t.status === 'valid' && !inRefund.has(t.unitId));
  const left = order.amountMinor - sum(live.map((x) => x.amountMinor));
  const amount = Math.min(r.amountMinor ?? left, left);
  const refund: Omit<Refund, 'createdAt' | 'settledAt' | 'failure'> & { requestedBy: null } = {
    refundId: r.refundId,
    orderId: order.orderId,
    eventId: order.eventId,
    source: r.source,
    status: 'requested',
    amountMinor: amount,
    reason: r.reason,
    releaseSeats: r.releaseSeats,
    requestedBy: null,
    requestedByEmail: null,
    unitIds: (amount >= left ? open : covering(open, amount)).map((t) => t.unitId),
  };
  if (amount <= 0) {
    // Nothing was left to refund (all of it went back already); still no ticket may stay valid.
    await s.tickets.void({ orderId: order.orderId });
    return;
  }
  await s.refunds.insert(refund);
  await settle(s, order, { ...refund, createdAt: new Date(), settledAt: null, failure: null });
}

/** The fewest tickets, dearest first, whose prices add up to at least `amount`. */
function covering(tickets: OrderTicket[], amount: number): OrderTicket[] {
  const out: OrderTicket[] = [];
  let covered = 0;
  for (const t of [...tickets].sort(
    (a, b) => b.priceMinor - a.priceMinor || a.unitId.localeCompare(b.unitId),
  )) {
    if (covered >= amount) break;
    out.push(t);
    covered += t.priceMinor;
  }
  return out;
}

async function settle(s: PurchaseStore, order: Order, r: Refund): Promise<void> {
  await s.refunds.settle(r.refundId, 'refunded');
  await s.tickets.void({ orderId: order.orderId, unitIds: r.unitIds });
  await s.orders.addRefunded(order.orderId, r.amountMinor);
  const valid = (await s.tickets.ofOrder(order.orderId)).filter((t) => t.status === 'valid');
  if (valid.length) {
    if (r.releaseSeats) await s.units.releaseSome(order.orderId, r.unitIds);
  } else {
    // Nothing valid is left: every seat of the order goes, also one whose ticket was never
    // issued (a refund that overtook the capture's message).
    if (r.releaseSeats) await s.units.release([order.orderId], 'any');
    await s.orders.setStatus(order.orderId, 'refunded', r.reason);
  }
  // A cancelled event's refund: the fan has (or gets, when this came first) one mail about it.
  await s.queueRefundMail(order.orderId, r.refundId, r.source === 'event_cancelled');
}

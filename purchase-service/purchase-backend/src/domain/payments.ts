import { queryRows, type Logger, type Payload, type Queryable } from '@ticketslave/common';
import { emitOrder, lockOrder, setOrderStatus } from './orders';
import { releaseUnits } from './units';
import { issueTickets, voidTickets, type TicketIssuer } from './tickets';

/**
 * The card is authorized: secure the seats or give up, in the caller's (processOnce)
 * transaction. The seats are secured if each is still held by this order, or, when
 * the hold lapsed, still free; otherwise the order is cancelled and payment voids the
 * authorization. Status checks make a second authorization for the same order a no-op.
 */
export async function onPaymentAuthorized(
  db: Queryable,
  p: Payload<'payment.authorized'>,
  logger: Logger,
): Promise<'completed' | 'cancelled' | 'ignored'> {
  const order = await lockOrder(db, p.orderId);
  if (!order) {
    logger.warn({ orderId: p.orderId }, 'payment authorized for an unknown order');
    return 'ignored';
  }
  await queryRows(db, `UPDATE orders SET payment_intent_id = $2 WHERE order_id = $1`, [
    p.orderId,
    p.paymentIntentId,
  ]);
  if (order.status === 'cancelled') {
    // Released or refused before the card was authorized: say it again, so payment
    // cancels this authorization even if it saw the first order.cancelled before it existed.
    await emitOrder(db, 'order.cancelled', order, { reason: order.reason ?? 'cancelled' });
    return 'cancelled';
  }
  if (order.status !== 'pending_payment' && order.status !== 'expired') return 'ignored';

  const event = await queryRows<{ status: string }>(db, `SELECT status FROM events WHERE event_id = $1`, [
    order.event_id,
  ]);
  const items = await queryRows<{ unit_id: string }>(
    db,
    `SELECT unit_id FROM order_items WHERE order_id = $1 ORDER BY unit_id`,
    [order.order_id],
  );
  const ids = items.map((i) => i.unit_id);
  // Same lock order as holds: (event, unit) sorted.
  const units = await queryRows<{ unit_id: string; status: string; order_id: string | null }>(
    db,
    `SELECT unit_id, status, order_id FROM units WHERE event_id = $1 AND unit_id = ANY($2::text[])
     ORDER BY unit_id FOR UPDATE`,
    [order.event_id, ids],
  );
  const securable =
    event[0]?.status !== 'cancelled' &&
    p.amountMinor === order.amount_minor &&
    units.length === ids.length &&
    units.every((u) => (u.status === 'held' && u.order_id === order.order_id) || u.status === 'available');
  if (!securable) {
    await releaseUnits(db, [order.order_id], 'held');
    const reason = p.amountMinor !== order.amount_minor ? 'amount_mismatch' : 'seats_unavailable';
    await setOrderStatus(db, order.order_id, 'cancelled', reason);
    await emitOrder(db, 'order.cancelled', order, { reason });
    return 'cancelled';
  }
  await queryRows(
    db,
    `UPDATE units SET status = 'sold', order_id = $3, change_seq = nextval('unit_change_seq')
     WHERE event_id = $1 AND unit_id = ANY($2::text[])`,
    [order.event_id, ids, order.order_id],
  );
  await setOrderStatus(db, order.order_id, 'confirmed');
  await emitOrder(db, 'order.completed', order);
  return 'completed';
}

/** Money is captured: issue the tickets (once) and mark the order paid. Returns the new tickets' order when issued. */
export async function onPaymentCaptured(
  db: Queryable,
  p: Payload<'payment.captured'>,
  issuer: TicketIssuer,
  logger: Logger,
): Promise<boolean> {
  const order = await lockOrder(db, p.orderId);
  if (!order || order.status !== 'confirmed') {
    if (order?.status !== 'paid')
      logger.warn(
        { orderId: p.orderId, status: order?.status },
        'capture for an order that is not confirmed',
      );
    return false;
  }
  await issueTickets(db, issuer, order);
  await setOrderStatus(db, order.order_id, 'paid');
  // The confirmation e-mail goes out from the mail outbox (messaging/mail-sender), after this commits.
  await db.query(`INSERT INTO mail_outbox (order_id) VALUES ($1) ON CONFLICT DO NOTHING`, [order.order_id]);
  return true;
}

/** The capture failed: the seats go back on sale and the order fails. */
export async function onPaymentFailed(db: Queryable, p: Payload<'payment.failed'>): Promise<void> {
  const order = await lockOrder(db, p.orderId);
  if (!order || (order.status !== 'confirmed' && order.status !== 'pending_payment')) return;
  await releaseUnits(db, [order.order_id], 'any');
  await setOrderStatus(db, order.order_id, 'failed', p.reason ?? 'payment_failed');
}

/**
 * Refunded: the tickets are void and, unless the refund reason is `keep_seats`
 * (e.g. the event was cancelled and nothing is on sale any more), the seats are
 * back on sale.
 */
export async function onPaymentRefunded(db: Queryable, p: Payload<'payment.refunded'>): Promise<void> {
  const order = await lockOrder(db, p.orderId);
  if (!order || order.status === 'refunded') return;
  await voidTickets(db, { orderId: order.order_id });
  if (p.reason !== 'keep_seats') await releaseUnits(db, [order.order_id], 'any');
  await setOrderStatus(db, order.order_id, 'refunded', p.reason ?? null);
}

/** Cancelled event: sales stop, every ticket is void, open orders are cancelled (payment voids them). */
export async function onEventCancelled(db: Queryable, p: Payload<'event.cancelled'>): Promise<void> {
  // Every hold takes this lock shared (hold_units): holds in flight finish first, and
  // holds after this transaction see the event cancelled.
  await queryRows(db, `SELECT pg_advisory_xact_lock(hashtext('purchase:event:' || $1::uuid::text))::text`, [
    p.eventId,
  ]);
  await queryRows(db, `UPDATE events SET status = 'cancelled', updated_at = now() WHERE event_id = $1`, [
    p.eventId,
  ]);
  await voidTickets(db, { eventId: p.eventId });
  const open = await queryRows<{ order_id: string }>(
    db,
    `SELECT order_id FROM orders WHERE event_id = $1 AND status = 'pending_payment' ORDER BY order_id FOR UPDATE`,
    [p.eventId],
  );
  for (const { order_id } of open) {
    const order = (await lockOrder(db, order_id))!;
    await releaseUnits(db, [order_id], 'held');
    await setOrderStatus(db, order_id, 'cancelled', 'event_cancelled');
    await emitOrder(db, 'order.cancelled', order, { reason: 'event_cancelled' });
  }
}

import { ORDER_REASON, type Logger, type Payload } from '@ticketslave/common';
import { cancelOrder, orderMessage } from './orders';
import type { PurchaseStore } from './ports';
import { issueTickets, type TicketIssuer } from './tickets';

/**
 * The card is authorized: secure the seats and issue the tickets, or give up, in the
 * caller's (processOnce) transaction. The seats are secured if each is still held by this
 * order, or, when the hold lapsed, still free; then the tickets are issued at once and the
 * order is `confirmed` (the fan sees the tickets), and `order.completed` makes payment
 * capture. Capturing after the tickets exist keeps two Kafka hops and Stripe's capture off
 * the fan's wait (issue 21); an authorization Stripe then refuses to capture voids them
 * (`onPaymentFailed`). Otherwise the order is cancelled and payment voids the authorization.
 * Status checks make a second authorization for the same order a no-op.
 *
 * One card, one fan's share (issue 17.8): a card (its fingerprint) that already holds the
 * event's per-fan limit in authorized or paid orders cannot buy more through another account;
 * the order is cancelled `card_limit_exceeded` and payment voids the authorization. The
 * (event, card) row is locked first, so of two authorizations with one card the second counts
 * the first's tickets.
 */
export async function onPaymentAuthorized(
  s: PurchaseStore,
  p: Payload<'payment.authorized'>,
  issuer: TicketIssuer,
  logger: Logger,
  opts: { cardLimit: boolean } = { cardLimit: true },
): Promise<'completed' | 'cancelled' | 'ignored'> {
  // The card's fingerprint is kept for the per-card limit (below) only where it applies.
  const order = await s.orders.lockForPayment(p.orderId, {
    paymentIntentId: p.paymentIntentId,
    buyerName: p.buyerName,
    cardFingerprint: opts.cardLimit ? p.cardFingerprint : undefined,
  });
  if (!order) {
    logger.warn({ orderId: p.orderId }, 'payment authorized for an unknown order');
    return 'ignored';
  }
  if (order.status === 'cancelled') {
    // Released or refused before the card was authorized: say it again, so payment
    // cancels this authorization even if it saw the first order.cancelled before it existed.
    await s.enqueue([orderMessage('order.cancelled', order, { reason: order.reason ?? 'cancelled' })]);
    return 'cancelled';
  }
  if (order.status !== 'pending_payment' && order.status !== 'expired') return 'ignored';
  if (order.status === 'expired' && (await s.orders.liveOnAdmission(order.admissionId, order.orderId))) {
    // The hold lapsed and the fan has since held again with the same admission: that newer
    // order is the one they are buying; this late authorization is voided.
    await cancelOrder(s, order, ORDER_REASON.superseded);
    return 'cancelled';
  }

  const event = await s.events.get(order.eventId);
  const ids = order.unitIds;
  if (opts.cardLimit && p.cardFingerprint && event) {
    await s.orders.lockCard(order.eventId, p.cardFingerprint);
    const owned = await s.orders.ticketsOfCard(order.eventId, p.cardFingerprint, order.orderId);
    if (owned + ids.length > event.perUserLimit) {
      logger.info(
        { orderId: order.orderId, eventId: order.eventId, owned, limit: event.perUserLimit },
        'card already bought the per-fan limit; cancelling the order',
      );
      await cancelOrder(s, order, ORDER_REASON.cardLimitExceeded);
      return 'cancelled';
    }
  }
  const units = await s.units.lock(order.eventId, ids);
  const securable =
    event?.status !== 'cancelled' &&
    p.amountMinor === order.amountMinor &&
    units.length === ids.length &&
    units.every((u) => (u.status === 'held' && u.orderId === order.orderId) || u.status === 'available');
  if (!securable) {
    await cancelOrder(
      s,
      order,
      p.amountMinor !== order.amountMinor ? 'amount_mismatch' : 'seats_unavailable',
    );
    return 'cancelled';
  }
  await s.units.markSold(order.eventId, ids, order.orderId);
  await issueTickets(s, issuer, order);
  await s.orders.setStatus(order.orderId, 'confirmed');
  await s.enqueue([orderMessage('order.completed', order)]);
  return 'completed';
}

/**
 * Money is captured: the order is paid and its fan mailed. The tickets were issued when the
 * card was authorized; issuing again is a no-op, and issues those of an order confirmed
 * before tickets came with the authorization. True when this marked the order paid.
 */
export async function onPaymentCaptured(
  s: PurchaseStore,
  p: Payload<'payment.captured'>,
  issuer: TicketIssuer,
  logger: Logger,
): Promise<boolean> {
  const order = await s.orders.lockForPayment(p.orderId, { buyerName: p.buyerName });
  if (!order || order.status !== 'confirmed') {
    if (order?.status !== 'paid')
      logger.warn(
        { orderId: p.orderId, status: order?.status },
        'capture for an order that is not confirmed',
      );
    return false;
  }
  await issueTickets(s, issuer, order);
  await s.orders.setStatus(order.orderId, 'paid');
  // The confirmation e-mail goes out from the mail outbox (messaging/mail-sender), after this commits.
  await s.queueConfirmationMail(order.orderId);
  return true;
}

/** The capture failed: the order's tickets are void, the seats go back on sale and the order fails. */
export async function onPaymentFailed(s: PurchaseStore, p: Payload<'payment.failed'>): Promise<void> {
  const order = await s.orders.lock(p.orderId);
  if (!order || (order.status !== 'confirmed' && order.status !== 'pending_payment')) return;
  await s.tickets.void({ orderId: order.orderId });
  await s.units.release([order.orderId], 'any');
  await s.orders.setStatus(order.orderId, 'failed', p.reason ?? 'payment_failed');
}

/**
 * Cancelled event: sales stop, every ticket is void, open orders are cancelled (payment voids
 * them), and each paid order's fan gets one cancellation mail (payment refunds them; that
 * refund sends no second mail).
 */
export async function onEventCancelled(s: PurchaseStore, p: Payload<'event.cancelled'>): Promise<void> {
  await s.events.cancel(p.eventId);
  await s.tickets.void({ eventId: p.eventId });
  await s.queueCancellationMails(p.eventId);
  for (const order of await s.orders.lockPending(p.eventId)) await cancelOrder(s, order, 'event_cancelled');
}

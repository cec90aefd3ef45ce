import type { Logger, Payload } from '@ticketslave/common';
import { cancelOrder, orderMessage } from './orders';
import type { Authorization, AuthorizationStore, Capture, CaptureStore, PurchaseStore } from './ports';
import { issueTickets, signTickets, type TicketIssuer } from './tickets';

/**
 * The card is authorized: secure the seats and issue the tickets, or give up, in one
 * transaction (the store's `apply`, which also applies the message once). The seats are
 * secured if each is still held by this order, or, when the hold lapsed, still free; then the
 * tickets are issued at once and the order is `confirmed` (the fan sees the tickets), and
 * `order.completed` makes payment capture. Capturing after the tickets exist keeps two Kafka
 * hops and Stripe's capture off the fan's wait (issue 21); an authorization Stripe then
 * refuses to capture voids them (`onPaymentFailed`). Otherwise the order is cancelled and
 * payment voids the authorization. Status checks make a second authorization for the same
 * order a no-op.
 *
 * An order cancelled before its card was authorized (released, refused) says so again, so
 * payment cancels this authorization even if it saw the first order.cancelled before it
 * existed. A lapsed hold whose fan has since held again with the same admission is cancelled
 * `superseded`: that newer order is the one they are buying.
 *
 * One card, one fan's share (issue 17.8): a card (its fingerprint) that already holds the
 * event's per-fan limit in authorized or paid orders cannot buy more through another account;
 * the order is cancelled `card_limit_exceeded` and payment voids the authorization. The
 * (event, card) row is locked first, so of two authorizations with one card the second counts
 * the first's tickets.
 */
export async function onPaymentAuthorized(
  store: AuthorizationStore,
  message: { consumer: string; id: string },
  p: Payload<'payment.authorized'>,
  issuer: TicketIssuer,
  logger: Logger,
  opts: { cardLimit: boolean } = { cardLimit: true },
): Promise<Authorization['outcome']> {
  const a = await store.apply(
    {
      consumer: message.consumer,
      messageId: message.id,
      orderId: p.orderId,
      paymentIntentId: p.paymentIntentId,
      buyerName: p.buyerName,
      cardFingerprint: opts.cardLimit ? p.cardFingerprint : undefined,
      amountMinor: p.amountMinor,
    },
    async (a) => {
      if (a.outcome === 'cancelled')
        return { messages: [orderMessage('order.cancelled', a.order, { reason: a.reason })] };
      if (a.outcome !== 'secured') return { messages: [] };
      return {
        issued: await signTickets(issuer, a.order, a.units),
        messages: [orderMessage('order.completed', a.order)],
      };
    },
  );
  if (a.outcome === 'unknown') logger.warn({ orderId: p.orderId }, 'payment authorized for an unknown order');
  if (a.outcome === 'cancelled' && a.owned !== undefined)
    logger.info(
      { orderId: p.orderId, eventId: a.order.eventId, owned: a.owned, limit: a.limit },
      'card already bought the per-fan limit; cancelling the order',
    );
  return a.outcome;
}

/**
 * Money is captured, the usual way: the order's tickets were issued at its authorization, so
 * it is marked paid and its confirmation mail queued in one statement (`CaptureStore`).
 * `needs_tickets` (an order confirmed before tickets came with the authorization) is for the
 * caller to apply the long way (`onPaymentCaptured`), which issues them.
 */
export async function settleCapture(
  captures: CaptureStore,
  message: { consumer: string; id: string },
  p: Payload<'payment.captured'>,
  logger: Logger,
): Promise<Capture['outcome']> {
  const c = await captures.settle({
    consumer: message.consumer,
    messageId: message.id,
    orderId: p.orderId,
    buyerName: p.buyerName,
  });
  if (c.outcome === 'unknown' || (c.outcome === 'ignored' && c.status !== 'paid'))
    logger.warn(
      { orderId: p.orderId, status: c.outcome === 'ignored' ? c.status : undefined },
      'capture for an order that is not confirmed',
    );
  return c.outcome;
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
  const order = await s.orders.lockForPayment(p.orderId, p.buyerName);
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

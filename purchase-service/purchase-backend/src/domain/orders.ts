import { envelope, type OutgoingMessage, type TopicName } from '@ticketslave/common';
import type { Order, OrderItem, OrderStatus, OrderWithItems, PurchaseStore } from './ports';

export type { Order, OrderItem, OrderStatus };

/** An order as fans see it (the API's answer). */
export interface OrderView {
  orderId: string;
  eventId: string;
  eventTitle: string;
  status: OrderStatus;
  reason: string | null;
  amountMinor: number;
  currency: string;
  createdAt: string;
  expiresAt: string;
  items: OrderItem[];
}

export const orderView = (o: OrderWithItems): OrderView => ({
  orderId: o.orderId,
  eventId: o.eventId,
  eventTitle: o.eventTitle,
  status: o.status,
  reason: o.reason,
  amountMinor: o.amountMinor,
  currency: o.currency,
  createdAt: o.createdAt.toISOString(),
  expiresAt: o.expiresAt.toISOString(),
  items: o.items,
});

type OrderTopic = Extract<
  TopicName,
  'order.created' | 'order.completed' | 'order.expired' | 'order.cancelled'
>;

/**
 * An order's message to the other services (payment opens, captures or voids the fan's
 * payment on them), built and checked through the topic's schema (the bus keys it as
 * libs/common's topics.ts says).
 */
export function orderMessage(
  topic: OrderTopic,
  o: Order,
  extra: { reason?: string; requestId?: string } = {},
): OutgoingMessage {
  const ref = {
    orderId: o.orderId,
    eventId: o.eventId,
    userId: o.userId,
    admissionId: o.admissionId,
    amountMinor: o.amountMinor,
    currency: o.currency,
  };
  const env =
    topic === 'order.created'
      ? envelope(topic, { ...ref, expiresAt: o.expiresAt.toISOString() })
      : topic === 'order.cancelled'
        ? envelope(topic, { ...ref, ...(extra.reason ? { reason: extra.reason } : {}) })
        : envelope(topic, ref);
  return {
    topic,
    envelope: env,
    ...(extra.requestId ? { headers: { 'x-request-id': extra.requestId } } : {}),
  };
}

/** Cancels an order awaiting payment: its seats go back on sale and payment voids its checkout. */
export async function cancelOrder(s: PurchaseStore, order: Order, reason: string): Promise<void> {
  await s.units.release([order.orderId], 'held');
  await s.orders.setStatus(order.orderId, 'cancelled', reason);
  await s.enqueue([orderMessage('order.cancelled', order, { reason })]);
}

/** A fan's orders, newest first; `orderId` narrows to one (none for anyone else's). */
export async function ordersOf(s: PurchaseStore, userId: string, orderId?: string): Promise<OrderView[]> {
  return (await s.orders.ofUser(userId, orderId)).map(orderView);
}

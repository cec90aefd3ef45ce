import {
  enqueueMessages,
  envelope,
  queryOne,
  queryRows,
  type Queryable,
  type TopicName,
} from '@ticketslave/common';

export type OrderStatus =
  'pending_payment' | 'confirmed' | 'paid' | 'expired' | 'cancelled' | 'failed' | 'refunded';

export interface OrderRow {
  order_id: string;
  event_id: string;
  user_id: string;
  email: string;
  admission_id: string;
  status: OrderStatus;
  reason: string | null;
  amount_minor: number;
  currency: string;
  created_at: Date;
  expires_at: Date;
}

export interface OrderItem {
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
}

/** A row of `order_items`, as the database (or `hold_units`' JSON) gives it. */
export interface OrderItemRow {
  unit_id: string;
  category_id: string;
  section: string | null;
  row_label: string | null;
  seat: number | null;
  price_minor: number;
}

export const toOrderItem = (r: OrderItemRow): OrderItem => ({
  unitId: r.unit_id,
  categoryId: r.category_id,
  section: r.section,
  row: r.row_label,
  seat: r.seat,
  priceMinor: r.price_minor,
});

/** An order as fans see it; times may come as Date (pg) or ISO text (JSON from SQL). */
export function orderView(
  o: Omit<OrderRow, 'created_at' | 'expires_at'> & { created_at: Date | string; expires_at: Date | string },
  eventTitle: string,
  items: OrderItem[],
): OrderView {
  return {
    orderId: o.order_id,
    eventId: o.event_id,
    eventTitle,
    status: o.status,
    reason: o.reason,
    amountMinor: o.amount_minor,
    currency: o.currency,
    createdAt: new Date(o.created_at).toISOString(),
    expiresAt: new Date(o.expires_at).toISOString(),
    items,
  };
}

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

export async function lockOrder(db: Queryable, orderId: string): Promise<OrderRow | undefined> {
  return queryOne<OrderRow>(db, `SELECT * FROM orders WHERE order_id = $1 FOR UPDATE`, [orderId]);
}

export async function setOrderStatus(
  db: Queryable,
  orderId: string,
  status: OrderStatus,
  reason: string | null = null,
): Promise<void> {
  await queryRows(db, `UPDATE orders SET status = $2, reason = $3, updated_at = now() WHERE order_id = $1`, [
    orderId,
    status,
    reason,
  ]);
}

type OrderTopic = Extract<
  TopicName,
  'order.created' | 'order.completed' | 'order.expired' | 'order.cancelled'
>;

/** Records an order message in the outbox, in the caller's transaction. */
export async function emitOrder(
  db: Queryable,
  topic: OrderTopic,
  o: OrderRow,
  extra: { reason?: string } = {},
): Promise<void> {
  const ref = {
    orderId: o.order_id,
    eventId: o.event_id,
    userId: o.user_id,
    admissionId: o.admission_id,
    amountMinor: o.amount_minor,
    currency: o.currency,
  };
  const env =
    topic === 'order.created'
      ? envelope(topic, { ...ref, expiresAt: new Date(o.expires_at).toISOString() })
      : topic === 'order.cancelled'
        ? envelope(topic, { ...ref, ...(extra.reason ? { reason: extra.reason } : {}) })
        : envelope(topic, ref);
  await enqueueMessages(db, [{ topic, key: o.event_id, envelope: env }]);
}

export async function orderItems(db: Queryable, orderIds: string[]): Promise<Map<string, OrderItem[]>> {
  const rows = await queryRows<OrderItemRow & { order_id: string }>(
    db,
    `SELECT * FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY unit_id`,
    [orderIds],
  );
  const out = new Map<string, OrderItem[]>();
  for (const r of rows) {
    const list = out.get(r.order_id) ?? [];
    list.push(toOrderItem(r));
    out.set(r.order_id, list);
  }
  return out;
}

/** Orders of one fan, newest first; `orderId` narrows to one (404 for anyone else's). */
export async function ordersOf(db: Queryable, userId: string, orderId?: string): Promise<OrderView[]> {
  const rows = await queryRows<OrderRow & { title: string }>(
    db,
    `SELECT o.*, e.title FROM orders o JOIN events e USING (event_id)
     WHERE o.user_id = $1 AND ($2::uuid IS NULL OR o.order_id = $2)
     ORDER BY o.created_at DESC LIMIT 100`,
    [userId, orderId ?? null],
  );
  const items = await orderItems(
    db,
    rows.map((r) => r.order_id),
  );
  return rows.map((r) => orderView(r, r.title, items.get(r.order_id) ?? []));
}

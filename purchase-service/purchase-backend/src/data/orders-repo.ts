import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
import { z } from 'zod';
import type { Order, OrderItem, OrderState, OrderStatus, OrderStore, OrderWithItems } from '../domain/ports';

/** A row of `orders`. */
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

/** A row of `order_items`. */
export interface OrderItemRow {
  unit_id: string;
  category_id: string;
  section: string | null;
  row_label: string | null;
  seat: number | null;
  price_minor: number;
}

export const toOrder = (r: OrderRow): Order => ({
  orderId: r.order_id,
  eventId: r.event_id,
  userId: r.user_id,
  email: r.email,
  admissionId: r.admission_id,
  status: r.status,
  reason: r.reason,
  amountMinor: r.amount_minor,
  currency: r.currency,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** An order's row as SQL functions answer it (`to_jsonb` of the row: its times as text). */
export const OrderJson = z.object({
  order_id: z.string(),
  event_id: z.string(),
  user_id: z.string(),
  email: z.string(),
  admission_id: z.string(),
  status: z.enum(['pending_payment', 'confirmed', 'paid', 'expired', 'cancelled', 'failed', 'refunded']),
  reason: z.string().nullable(),
  amount_minor: z.number().int(),
  currency: z.string(),
  created_at: z.string(),
  expires_at: z.string(),
});

export const orderFromJson = (o: z.infer<typeof OrderJson>): Order =>
  toOrder({ ...o, created_at: new Date(o.created_at), expires_at: new Date(o.expires_at) });

/** A buyer's name as an order keeps it: trimmed, at most 200 characters; none when blank. */
export const keptBuyerName = (name: string | undefined): string | null => name?.trim().slice(0, 200) || null;

export const toOrderItem = (r: OrderItemRow): OrderItem => ({
  unitId: r.unit_id,
  categoryId: r.category_id,
  section: r.section,
  row: r.row_label,
  seat: r.seat,
  priceMinor: r.price_minor,
});

export class PgOrderStore implements OrderStore {
  constructor(private readonly db: Queryable) {}

  async get(orderId: string): Promise<Order | undefined> {
    const row = await queryOne<OrderRow>(this.db, `SELECT * FROM orders WHERE order_id = $1`, [orderId]);
    return row && toOrder(row);
  }

  async liveOnAdmission(admissionId: string): Promise<string | undefined> {
    const row = await queryOne<{ order_id: string }>(
      this.db,
      `SELECT order_id FROM orders WHERE admission_id = $1
         AND status IN ('pending_payment', 'confirmed', 'paid', 'refunded') LIMIT 1`,
      [admissionId],
    );
    return row?.order_id;
  }

  async lock(orderId: string): Promise<Order | undefined> {
    const row = await queryOne<OrderRow>(this.db, `SELECT * FROM orders WHERE order_id = $1 FOR UPDATE`, [
      orderId,
    ]);
    return row && toOrder(row);
  }

  async setStatus(
    orderIds: string | string[],
    status: OrderStatus,
    reason: string | null = null,
  ): Promise<void> {
    // When it was authorized (confirmed) and paid: the order's timeline for its organiser.
    await queryRows(
      this.db,
      `UPDATE orders SET status = $2, reason = $3, updated_at = now(),
         authorized_at = CASE WHEN $2 = 'confirmed' THEN coalesce(authorized_at, now()) ELSE authorized_at END,
         paid_at = CASE WHEN $2 = 'paid' THEN coalesce(paid_at, now()) ELSE paid_at END
       WHERE order_id = ANY($1::uuid[])`,
      [typeof orderIds === 'string' ? [orderIds] : orderIds, status, reason],
    );
  }

  async addRefunded(orderId: string, minor: number): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE orders SET refunded_minor = least(amount_minor, refunded_minor + $2), updated_at = now()
       WHERE order_id = $1`,
      [orderId, minor],
    );
  }

  async lockForPayment(orderId: string, buyerName?: string): Promise<Order | undefined> {
    // An UPDATE locks the row as FOR UPDATE does: one round trip for the lock and the name.
    const row = await queryOne<OrderRow>(
      this.db,
      `UPDATE orders SET buyer_name = coalesce($2, buyer_name) WHERE order_id = $1 RETURNING *`,
      [orderId, keptBuyerName(buyerName)],
    );
    return row && toOrder(row);
  }

  async lockLapsed(now: Date, limit: number): Promise<Order[]> {
    const rows = await queryRows<OrderRow>(
      this.db,
      `SELECT * FROM orders WHERE status = 'pending_payment' AND expires_at <= $1
       ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    return rows.map(toOrder);
  }

  async lockPending(eventId: string): Promise<Order[]> {
    const rows = await queryRows<OrderRow>(
      this.db,
      `SELECT * FROM orders WHERE event_id = $1 AND status = 'pending_payment' ORDER BY order_id FOR UPDATE`,
      [eventId],
    );
    return rows.map(toOrder);
  }

  async statuses(orderIds: string[]): Promise<OrderState[]> {
    const rows = await queryRows<{
      order_id: string;
      user_id: string;
      status: OrderStatus;
      reason: string | null;
    }>(this.db, 'SELECT order_id, user_id, status, reason FROM orders WHERE order_id = ANY($1::uuid[])', [
      orderIds,
    ]);
    return rows.map((r) => ({ orderId: r.order_id, userId: r.user_id, status: r.status, reason: r.reason }));
  }

  async ofUser(userId: string, orderId?: string): Promise<OrderWithItems[]> {
    const rows = await queryRows<OrderRow & { title: string }>(
      this.db,
      `SELECT o.*, e.title FROM orders o JOIN events e USING (event_id)
       WHERE o.user_id = $1 AND ($2::uuid IS NULL OR o.order_id = $2)
       ORDER BY o.created_at DESC LIMIT 100`,
      [userId, orderId ?? null],
    );
    const items = await queryRows<OrderItemRow & { order_id: string }>(
      this.db,
      `SELECT * FROM order_items WHERE order_id = ANY($1::uuid[]) ORDER BY unit_id`,
      [rows.map((r) => r.order_id)],
    );
    const byOrder = new Map<string, OrderItem[]>();
    for (const i of items) {
      const list = byOrder.get(i.order_id) ?? [];
      list.push(toOrderItem(i));
      byOrder.set(i.order_id, list);
    }
    return rows.map((r) => ({ ...toOrder(r), eventTitle: r.title, items: byOrder.get(r.order_id) ?? [] }));
  }
}

import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
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

  async liveOnAdmission(admissionId: string, exceptOrderId?: string): Promise<string | undefined> {
    const row = await queryOne<{ order_id: string }>(
      this.db,
      `SELECT order_id FROM orders WHERE admission_id = $1 AND ($2::uuid IS NULL OR order_id <> $2)
         AND status IN ('pending_payment', 'confirmed', 'paid', 'refunded') LIMIT 1`,
      [admissionId, exceptOrderId ?? null],
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

  async lockForPayment(
    orderId: string,
    p: { paymentIntentId?: string; buyerName?: string; cardFingerprint?: string },
  ): Promise<(Order & { unitIds: string[] }) | undefined> {
    // An UPDATE locks the row as FOR UPDATE does: one round trip instead of five (the lock,
    // the intent, the name, the card, the units).
    const row = await queryOne<OrderRow & { unit_ids: string[] }>(
      this.db,
      `UPDATE orders SET payment_intent_id = coalesce($2, payment_intent_id), buyer_name = coalesce($3, buyer_name),
         card_fingerprint = coalesce($4, card_fingerprint)
       WHERE order_id = $1
       RETURNING *, (SELECT coalesce(array_agg(i.unit_id ORDER BY i.unit_id), '{}') FROM order_items i
                     WHERE i.order_id = orders.order_id) AS unit_ids`,
      [
        orderId,
        p.paymentIntentId ?? null,
        p.buyerName?.trim().slice(0, 200) || null,
        p.cardFingerprint ?? null,
      ],
    );
    if (!row) return undefined;
    const { unit_ids, ...order } = row;
    return { ...toOrder(order), unitIds: unit_ids };
  }

  async lockCard(eventId: string, fingerprint: string): Promise<void> {
    // DO UPDATE (not DO NOTHING) so the statement itself takes the row lock, inserted or not.
    await queryRows(
      this.db,
      `INSERT INTO event_cards (event_id, fingerprint) VALUES ($1, $2)
       ON CONFLICT (event_id, fingerprint) DO UPDATE SET fingerprint = excluded.fingerprint`,
      [eventId, fingerprint],
    );
  }

  async ticketsOfCard(eventId: string, fingerprint: string, exceptOrderId: string): Promise<number> {
    const row = await queryOne<{ n: number }>(
      this.db,
      `SELECT count(*)::int AS n FROM units u JOIN orders o ON o.order_id = u.order_id
       WHERE o.event_id = $1 AND o.card_fingerprint = $2 AND o.status IN ('confirmed', 'paid')
         AND o.order_id <> $3 AND u.event_id = $1`,
      [eventId, fingerprint, exceptOrderId],
    );
    return row?.n ?? 0;
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

import { queryOne, queryRows, streamRows } from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type { OrderStatus } from '../domain/ports';
import type {
  Attendee,
  AttendeeExportRow,
  AttendeeSearch,
  Cursor,
  OrderLedger,
  OrderListItem,
  OrderRecord,
  OrderSearch,
  OrderExportRow,
  OrderSummary,
  SaleFigures,
} from '../domain/organiser-orders';

/** An ISO instant rendered by PostgreSQL (UTC, milliseconds): no Date parsed per row. */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const likePrefix = (q: string) => `${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const STATUS_SQL: Record<OrderSearch['status'], string> = {
  sold: `o.status IN ('paid', 'confirmed', 'refunded') AND o.paid_at IS NOT NULL`,
  paid: `o.status IN ('paid', 'confirmed') AND o.refunded_minor = 0`,
  partially_refunded: `o.status = 'paid' AND o.refunded_minor > 0`,
  refunded: `o.status = 'refunded'`,
  pending: `o.status IN ('pending_payment', 'confirmed')`,
  not_completed: `o.status IN ('expired', 'cancelled', 'failed')`,
  all: `true`,
};

/**
 * The WHERE clause of an order search, with its parameters from `$first` on. The address and
 * name prefixes use the (event_id, lower(…) text_pattern_ops) indexes; an id is an order's
 * or a ticket's.
 */
function orderWhere(q: OrderSearch, first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [q.eventId];
  const p = (v: unknown) => (params.push(v), `$${first + params.length - 1}`);
  const parts = [`o.event_id = $${first}`, STATUS_SQL[q.status]];
  if (q.text) {
    const like = p(likePrefix(q.text));
    // Eight hex digits may also be a ticket's short reference (the start of its id, as mailed).
    const byRef = /^[0-9a-f]{8}$/.test(q.text)
      ? ` OR o.order_id IN (SELECT t.order_id FROM tickets t WHERE t.event_id = $${first} AND t.ticket_id::text LIKE ${like})`
      : '';
    parts.push(`(lower(o.email) LIKE ${like} OR lower(o.buyer_name) LIKE ${like}${byRef})`);
  }
  if (q.id) {
    const id = p(q.id);
    parts.push(
      `(o.order_id = ${id}::uuid OR o.order_id = (SELECT t.order_id FROM tickets t WHERE t.ticket_id = ${id}::uuid))`,
    );
  }
  if (q.categoryId)
    parts.push(
      `EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.order_id AND i.category_id = ${p(q.categoryId)})`,
    );
  if (q.checkedIn !== undefined)
    parts.push(
      `${q.checkedIn ? '' : 'NOT '}EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = o.order_id AND t.checked_in_at IS NOT NULL)`,
    );
  return { sql: parts.join(' AND '), params };
}

interface OrderListRow {
  order_id: string;
  created_at: string;
  email: string;
  buyer_name: string | null;
  status: OrderStatus;
  amount_minor: number;
  refunded_minor: number;
  currency: string;
  tickets: number;
  checked_in: number;
  category_ids: string[];
}

export class PgOrderLedger implements OrderLedger {
  constructor(private readonly db: DataSource) {}

  exportOrders(eventId: string): AsyncIterable<OrderExportRow[]> {
    return streamRows<OrderExportRow>(this.db, EXPORT_SQL.orders, [eventId]);
  }

  exportAttendees(eventId: string): AsyncIterable<AttendeeExportRow[]> {
    return streamRows<AttendeeExportRow>(this.db, EXPORT_SQL.attendees, [eventId]);
  }

  async orders(q: OrderSearch, after: Cursor | undefined, limit: number): Promise<OrderListItem[]> {
    const where = orderWhere(q, 1);
    const n = where.params.length;
    // Keyset pagination on (created_at, order_id) walks orders_by_event newest first.
    const rows = await queryRows<OrderListRow>(
      this.db,
      `SELECT o.order_id, ${iso('o.created_at')} AS created_at, o.email, o.buyer_name, o.status, o.amount_minor,
              o.refunded_minor, o.currency,
              (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.order_id) AS tickets,
              (SELECT count(*)::int FROM tickets t WHERE t.order_id = o.order_id AND t.checked_in_at IS NOT NULL) AS checked_in,
              (SELECT array_agg(DISTINCT i.category_id) FROM order_items i WHERE i.order_id = o.order_id) AS category_ids
       FROM orders o
       WHERE ${where.sql} AND ($${n + 1}::timestamptz IS NULL OR (o.created_at, o.order_id) < ($${n + 1}, $${n + 2}::uuid))
       ORDER BY o.created_at DESC, o.order_id DESC LIMIT $${n + 3}`,
      [...where.params, after?.at ?? null, after?.id ?? null, limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      createdAt: r.created_at,
      email: r.email,
      buyerName: r.buyer_name,
      status: r.status,
      amountMinor: r.amount_minor,
      refundedMinor: r.refunded_minor,
      currency: r.currency,
      tickets: r.tickets,
      checkedIn: r.checked_in,
      categoryIds: r.category_ids ?? [],
    }));
  }

  async summary(q: OrderSearch): Promise<OrderSummary> {
    const where = orderWhere(q, 1);
    const row = await queryOne<{
      orders: number;
      tickets: number;
      checked_in: number;
      gross: string | null;
      refunded: string | null;
      currency: string | null;
    }>(
      this.db,
      `SELECT count(*)::int AS orders,
              coalesce(sum((SELECT count(*) FROM order_items i WHERE i.order_id = o.order_id)), 0)::int AS tickets,
              coalesce(sum((SELECT count(*) FROM tickets t WHERE t.order_id = o.order_id AND t.checked_in_at IS NOT NULL)), 0)::int
                AS checked_in,
              sum(o.amount_minor) FILTER (WHERE o.paid_at IS NOT NULL) AS gross,
              sum(o.refunded_minor) AS refunded,
              min(o.currency) AS currency
       FROM orders o WHERE ${where.sql}`,
      where.params,
    );
    const gross = Number(row?.gross ?? 0);
    const refunded = Number(row?.refunded ?? 0);
    return {
      orders: row?.orders ?? 0,
      tickets: row?.tickets ?? 0,
      checkedIn: row?.checked_in ?? 0,
      grossMinor: gross,
      refundedMinor: refunded,
      netMinor: gross - refunded,
      currency: row?.currency ?? null,
    };
  }

  async attendees(q: AttendeeSearch, after: Cursor | undefined, limit: number): Promise<Attendee[]> {
    const where = orderWhere({ ...q, status: 'all' }, 1);
    const params = [...where.params];
    const p = (v: unknown) => (params.push(v), `$${params.length}`);
    const ticketParts: string[] = [];
    if (q.status !== 'all') ticketParts.push(`t.status = ${p(q.status)}`);
    if (q.checkedIn !== undefined) ticketParts.push(`t.checked_in_at IS ${q.checkedIn ? 'NOT ' : ''}NULL`);
    if (q.categoryId) ticketParts.push(`i.category_id = ${p(q.categoryId)}`);
    if (q.id) ticketParts.push(`(t.ticket_id = ${p(q.id)}::uuid OR t.order_id = ${p(q.id)}::uuid)`);
    const at = p(after?.at ?? null);
    const id = p(after?.id ?? null);
    const lim = p(limit);
    const rows = await queryRows<{
      ticket_id: string;
      order_id: string;
      email: string;
      buyer_name: string | null;
      category_id: string;
      section: string | null;
      row_label: string | null;
      seat: number | null;
      price_minor: number;
      currency: string;
      status: 'valid' | 'void';
      issued_at: string;
      checked_in_at: string | null;
    }>(
      this.db,
      `SELECT t.ticket_id, t.order_id, o.email, o.buyer_name, i.category_id, i.section, i.row_label, i.seat,
              i.price_minor, o.currency, t.status, ${iso('t.issued_at')} AS issued_at,
              ${iso('t.checked_in_at')} AS checked_in_at
       FROM tickets t JOIN orders o ON o.order_id = t.order_id
       JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
       WHERE t.event_id = $1 AND ${where.sql}
         ${ticketParts.map((x) => `AND ${x}`).join(' ')}
         AND (${at}::timestamptz IS NULL OR (t.issued_at, t.ticket_id) < (${at}, ${id}::uuid))
       ORDER BY t.issued_at DESC, t.ticket_id DESC LIMIT ${lim}`,
      params,
    );
    return rows.map((r) => ({
      ticketId: r.ticket_id,
      orderId: r.order_id,
      email: r.email,
      buyerName: r.buyer_name,
      categoryId: r.category_id,
      section: r.section,
      row: r.row_label,
      seat: r.seat,
      priceMinor: r.price_minor,
      currency: r.currency,
      status: r.status,
      issuedAt: r.issued_at,
      checkedInAt: r.checked_in_at,
    }));
  }

  async order(orderId: string): Promise<OrderRecord | undefined> {
    const o = await queryOne<{
      order_id: string;
      event_id: string;
      email: string;
      buyer_name: string | null;
      status: OrderStatus;
      reason: string | null;
      amount_minor: number;
      refunded_minor: number;
      currency: string;
      payment_intent_id: string | null;
      created_at: Date;
      expires_at: Date;
      authorized_at: Date | null;
      paid_at: Date | null;
      updated_at: Date;
    }>(this.db, `SELECT * FROM orders WHERE order_id = $1`, [orderId]);
    if (!o) return undefined;
    const mails = await queryRows<{
      kind: 'confirmation' | 'refund' | 'cancellation';
      refund_id: string | null;
      sent_at: Date | null;
      last_error: string | null;
    }>(
      this.db,
      `SELECT kind, refund_id, sent_at, last_error FROM mail_outbox WHERE order_id = $1 ORDER BY created_at`,
      [orderId],
    );
    const d = (v: Date | null) => (v ? new Date(v) : null);
    return {
      orderId: o.order_id,
      eventId: o.event_id,
      email: o.email,
      buyerName: o.buyer_name,
      status: o.status,
      reason: o.reason,
      amountMinor: o.amount_minor,
      refundedMinor: o.refunded_minor,
      currency: o.currency,
      paymentIntentId: o.payment_intent_id,
      createdAt: new Date(o.created_at),
      expiresAt: new Date(o.expires_at),
      authorizedAt: d(o.authorized_at),
      paidAt: d(o.paid_at),
      updatedAt: new Date(o.updated_at),
      mails: mails.map((m) => ({
        kind: m.kind,
        refundId: m.refund_id,
        sentAt: d(m.sent_at),
        lastError: m.last_error,
      })),
    };
  }

  async sales(eventId: string): Promise<SaleFigures> {
    const money = await queryOne<{
      gross: string | null;
      refunded: string | null;
      orders: number;
      currency: string | null;
    }>(
      this.db,
      `SELECT sum(amount_minor) AS gross, sum(refunded_minor) AS refunded, count(*)::int AS orders, min(currency) AS currency
       FROM orders WHERE event_id = $1 AND paid_at IS NOT NULL`,
      [eventId],
    );
    const units = await queryRows<{ category_id: string; available: number; held: number; sold: number }>(
      this.db,
      `SELECT category_id, count(*) FILTER (WHERE status = 'available')::int AS available,
              count(*) FILTER (WHERE status = 'held')::int AS held, count(*) FILTER (WHERE status = 'sold')::int AS sold
       FROM units WHERE event_id = $1 GROUP BY category_id`,
      [eventId],
    );
    const tickets = await queryRows<{ category_id: string; valid: number; checked_in: number; void: number }>(
      this.db,
      `SELECT i.category_id, count(*) FILTER (WHERE t.status = 'valid')::int AS valid,
              count(*) FILTER (WHERE t.status = 'valid' AND t.checked_in_at IS NOT NULL)::int AS checked_in,
              count(*) FILTER (WHERE t.status = 'void')::int AS void
       FROM tickets t JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
       WHERE t.event_id = $1 GROUP BY i.category_id`,
      [eventId],
    );
    const event = await queryOne<{ categories: { id: string; name: string }[] }>(
      this.db,
      `SELECT categories FROM events WHERE event_id = $1`,
      [eventId],
    );
    const t = new Map(tickets.map((r) => [r.category_id, r]));
    const u = new Map(units.map((r) => [r.category_id, r]));
    const gross = Number(money?.gross ?? 0);
    const refunded = Number(money?.refunded ?? 0);
    return {
      currency: money?.currency ?? null,
      grossMinor: gross,
      refundedMinor: refunded,
      netMinor: gross - refunded,
      paidOrders: money?.orders ?? 0,
      byCategory: (event?.categories ?? []).map((c) => ({
        categoryId: c.id,
        name: c.name,
        available: u.get(c.id)?.available ?? 0,
        held: u.get(c.id)?.held ?? 0,
        sold: u.get(c.id)?.sold ?? 0,
        validTickets: t.get(c.id)?.valid ?? 0,
        checkedIn: t.get(c.id)?.checked_in ?? 0,
        voidTickets: t.get(c.id)?.void ?? 0,
      })),
    };
  }
}

/** The export queries (run through a cursor, see streamRows): every sold order, every ticket. */
const EXPORT_SQL = {
  orders: `SELECT o.order_id, ${iso('o.created_at')} AS created_at, o.status, o.email, o.buyer_name,
      (SELECT count(*)::int FROM order_items i WHERE i.order_id = o.order_id) AS tickets,
      (SELECT string_agg(DISTINCT i.category_id, ' ') FROM order_items i WHERE i.order_id = o.order_id) AS categories,
      o.amount_minor, o.refunded_minor, o.currency, ${iso('o.paid_at')} AS paid_at,
      (SELECT count(*)::int FROM tickets t WHERE t.order_id = o.order_id AND t.checked_in_at IS NOT NULL) AS checked_in
    FROM orders o WHERE o.event_id = $1 AND ${STATUS_SQL.sold}
    ORDER BY o.created_at, o.order_id`,
  attendees: `SELECT t.ticket_id, t.order_id, o.email, o.buyer_name, i.category_id, i.section, i.row_label, i.seat,
      i.price_minor, o.currency, t.status, ${iso('t.issued_at')} AS issued_at, ${iso('t.checked_in_at')} AS checked_in_at
    FROM tickets t JOIN orders o ON o.order_id = t.order_id
    JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
    WHERE t.event_id = $1 ORDER BY t.issued_at, t.ticket_id`,
} as const;

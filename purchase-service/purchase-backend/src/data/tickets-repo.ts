import { queryRows, type Queryable } from '@ticketslave/common';
import type { Order, OrderTicket, TicketRecord, TicketStore, UserTicket } from '../domain/ports';

export class PgTicketStore implements TicketStore {
  constructor(private readonly db: Queryable) {}

  async toIssue(order: Order): Promise<{ unitId: string; startsAt: Date }[]> {
    const rows = await queryRows<{ unit_id: string; starts_at: Date }>(
      this.db,
      `SELECT i.unit_id, e.starts_at FROM order_items i JOIN events e ON e.event_id = $2
       WHERE i.order_id = $1
         AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = i.order_id AND t.unit_id = i.unit_id)
       ORDER BY i.unit_id`,
      [order.orderId, order.eventId],
    );
    return rows.map((r) => ({ unitId: r.unit_id, startsAt: new Date(r.starts_at) }));
  }

  async insert(order: Order, tickets: TicketRecord[], issuedAt: Date): Promise<number> {
    // UNIQUE (order_id, unit_id) makes a second issue for the same unit a no-op.
    const inserted = await queryRows(
      this.db,
      `INSERT INTO tickets (ticket_id, order_id, event_id, user_id, unit_id, code, issued_at)
       SELECT t.id, $1, $2, $3, t.unit, t.code, $7
       FROM unnest($4::uuid[], $5::text[], $6::text[]) AS t(id, unit, code)
       ON CONFLICT (order_id, unit_id) DO NOTHING RETURNING ticket_id`,
      [
        order.orderId,
        order.eventId,
        order.userId,
        tickets.map((t) => t.ticketId),
        tickets.map((t) => t.unitId),
        tickets.map((t) => t.code),
        issuedAt,
      ],
    );
    return inserted.length;
  }

  async void(where: { orderId: string; unitIds?: string[] } | { eventId: string }): Promise<string[]> {
    const rows = await queryRows<{ unit_id: string }>(
      this.db,
      `UPDATE tickets SET status = 'void', voided_at = now()
       WHERE status = 'valid' AND ($1::uuid IS NULL OR order_id = $1) AND ($2::uuid IS NULL OR event_id = $2)
         AND ($3::text[] IS NULL OR unit_id = ANY($3::text[]))
       RETURNING unit_id`,
      [
        'orderId' in where ? where.orderId : null,
        'eventId' in where ? where.eventId : null,
        'unitIds' in where ? (where.unitIds ?? null) : null,
      ],
    );
    return rows.map((r) => r.unit_id);
  }

  async ofOrder(orderId: string): Promise<OrderTicket[]> {
    const rows = await queryRows<{
      ticket_id: string;
      unit_id: string;
      category_id: string;
      section: string | null;
      row_label: string | null;
      seat: number | null;
      price_minor: number;
      status: 'valid' | 'void';
      issued_at: Date;
      checked_in_at: Date | null;
      voided_at: Date | null;
    }>(
      this.db,
      `SELECT t.ticket_id, t.unit_id, i.category_id, i.section, i.row_label, i.seat, i.price_minor, t.status,
              t.issued_at, t.checked_in_at, t.voided_at
       FROM tickets t JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
       WHERE t.order_id = $1 ORDER BY t.unit_id`,
      [orderId],
    );
    return rows.map((r) => ({
      ticketId: r.ticket_id,
      unitId: r.unit_id,
      categoryId: r.category_id,
      section: r.section,
      row: r.row_label,
      seat: r.seat,
      priceMinor: r.price_minor,
      status: r.status,
      issuedAt: new Date(r.issued_at),
      checkedInAt: r.checked_in_at ? new Date(r.checked_in_at) : null,
      voidedAt: r.voided_at ? new Date(r.voided_at) : null,
    }));
  }

  async ofUser(userId: string, ticketId?: string): Promise<UserTicket[]> {
    const rows = await queryRows<{
      ticket_id: string;
      order_id: string;
      event_id: string;
      title: string;
      venue: string;
      starts_at: Date;
      unit_id: string;
      categories: { id: string; name: string }[];
      category_id: string;
      section: string | null;
      row_label: string | null;
      seat: number | null;
      status: 'valid' | 'void';
      checked_in_at: Date | null;
      code: string;
      code_key: string;
      static_codes: boolean;
      time_zone: string;
      doors_at: Date | null;
      price_minor: number;
      currency: string;
    }>(
      this.db,
      `SELECT t.*, e.title, e.venue, e.starts_at, e.categories, e.code_key, e.static_codes, e.time_zone, e.doors_at,
              i.category_id, i.section, i.row_label, i.seat, i.price_minor, o.currency
       FROM tickets t JOIN events e USING (event_id)
       JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
       JOIN orders o ON o.order_id = t.order_id
       WHERE t.user_id = $1 AND ($2::uuid IS NULL OR t.ticket_id = $2)
       ORDER BY e.starts_at, t.unit_id LIMIT 200`,
      [userId, ticketId ?? null],
    );
    return rows.map((r) => ({
      ticketId: r.ticket_id,
      orderId: r.order_id,
      eventId: r.event_id,
      eventTitle: r.title,
      venue: r.venue,
      startsAt: new Date(r.starts_at),
      unitId: r.unit_id,
      categoryName: r.categories.find((c) => c.id === r.category_id)?.name ?? r.category_id,
      section: r.section,
      row: r.row_label,
      seat: r.seat,
      status: r.status,
      checkedInAt: r.checked_in_at ? new Date(r.checked_in_at) : null,
      code: r.code,
      codeKey: r.code_key,
      staticCodes: r.static_codes,
      timeZone: r.time_zone,
      doorsAt: r.doors_at ? new Date(r.doors_at) : null,
      priceMinor: r.price_minor,
      currency: r.currency.trim(),
    }));
  }

  async codesOf(orderId: string): Promise<{ unitId: string; code: string }[]> {
    return queryRows<{ unitId: string; code: string }>(
      this.db,
      `SELECT unit_id AS "unitId", code FROM tickets WHERE order_id = $1 AND voided_at IS NULL`,
      [orderId],
    );
  }
}

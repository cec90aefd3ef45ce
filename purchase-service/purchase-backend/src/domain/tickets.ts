import QRCode from 'qrcode';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  queryOne,
  queryRows,
  type Clock,
  type Queryable,
  type Role,
} from '@ticketslave/common';
import type { OrderRow } from './orders';
import type { TicketCodes } from './ticket-codes';
import type { Transact } from './ports';

export interface TicketIssuer {
  codes: TicketCodes;
  clock: Clock;
}

/** One ticket per unit of the order; UNIQUE(order_id, unit_id) makes a second issue a no-op. */
export async function issueTickets(db: Queryable, issuer: TicketIssuer, order: OrderRow): Promise<number> {
  const items = await queryRows<{ unit_id: string; starts_at: Date }>(
    db,
    `SELECT i.unit_id, e.starts_at FROM order_items i JOIN events e ON e.event_id = $2
     WHERE i.order_id = $1 ORDER BY i.unit_id`,
    [order.order_id, order.event_id],
  );
  const now = issuer.clock.now();
  const rows = await Promise.all(
    items.map(async (i) => {
      const ticketId = issuer.codes.newTicketId();
      const code = await issuer.codes.sign(
        { ticketId, eventId: order.event_id, unitId: i.unit_id },
        new Date(i.starts_at),
        now,
      );
      return { ticketId, unitId: i.unit_id, code };
    }),
  );
  const inserted = await queryRows(
    db,
    `INSERT INTO tickets (ticket_id, order_id, event_id, user_id, unit_id, code, issued_at)
     SELECT t.id, $1, $2, $3, t.unit, t.code, $7
     FROM unnest($4::uuid[], $5::text[], $6::text[]) AS t(id, unit, code)
     ON CONFLICT (order_id, unit_id) DO NOTHING RETURNING ticket_id`,
    [
      order.order_id,
      order.event_id,
      order.user_id,
      rows.map((r) => r.ticketId),
      rows.map((r) => r.unitId),
      rows.map((r) => r.code),
      now,
    ],
  );
  return inserted.length;
}

export async function voidTickets(
  db: Queryable,
  where: { orderId?: string; eventId?: string },
): Promise<void> {
  await queryRows(
    db,
    `UPDATE tickets SET status = 'void', voided_at = now()
     WHERE status = 'valid' AND ($1::uuid IS NULL OR order_id = $1) AND ($2::uuid IS NULL OR event_id = $2)`,
    [where.orderId ?? null, where.eventId ?? null],
  );
}

export interface TicketView {
  ticketId: string;
  orderId: string;
  eventId: string;
  eventTitle: string;
  venue: string;
  startsAt: string;
  unitId: string;
  categoryName: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  status: 'valid' | 'void';
  checkedInAt: string | null;
  code: string;
  /** The code as a QR image, ready for an <img src>. */
  qr: string;
}

export async function ticketsOf(db: Queryable, userId: string): Promise<TicketView[]> {
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
  }>(
    db,
    `SELECT t.*, e.title, e.venue, e.starts_at, e.categories, i.category_id, i.section, i.row_label, i.seat
     FROM tickets t JOIN events e USING (event_id)
     JOIN order_items i ON i.order_id = t.order_id AND i.unit_id = t.unit_id
     WHERE t.user_id = $1 ORDER BY e.starts_at, t.unit_id LIMIT 200`,
    [userId],
  );
  return Promise.all(
    rows.map(async (r) => ({
      ticketId: r.ticket_id,
      orderId: r.order_id,
      eventId: r.event_id,
      eventTitle: r.title,
      venue: r.venue,
      startsAt: new Date(r.starts_at).toISOString(),
      unitId: r.unit_id,
      categoryName: r.categories.find((c) => c.id === r.category_id)?.name ?? r.category_id,
      section: r.section,
      row: r.row_label,
      seat: r.seat,
      status: r.status,
      checkedInAt: r.checked_in_at ? new Date(r.checked_in_at).toISOString() : null,
      code: r.code,
      qr: await QRCode.toDataURL(r.code, { errorCorrectionLevel: 'M', margin: 1, width: 320 }),
    })),
  );
}

export interface CheckInResult {
  ticketId: string;
  eventId: string;
  unitId: string;
  checkedInAt: string;
}

/**
 * Admits a ticket once. The signature is checked first (no DB work for junk); the
 * conditional update is what makes two scanners at two doors admit it only once.
 */
export async function checkIn(
  tx: Transact,
  codes: TicketCodes,
  clock: Clock,
  who: { sub: string; role: Role },
  code: string,
): Promise<CheckInResult> {
  const claims = await codes.verify(code);
  return tx(async (db) => {
    const t = await queryOne<{ organiser_id: string; status: string; checked_in_at: Date | null }>(
      db,
      `SELECT e.organiser_id, t.status, t.checked_in_at FROM tickets t JOIN events e USING (event_id)
       WHERE t.ticket_id = $1 AND t.event_id = $2`,
      [claims.ticketId, claims.eventId],
    );
    if (!t) throw new NotFoundError('No such ticket.', 'ticket_not_found');
    if (who.role !== 'admin' && t.organiser_id !== who.sub)
      throw new ForbiddenError('Only the organiser of this event can check tickets in.', 'not_organiser');
    const now = clock.now();
    const admitted = await queryRows(
      db,
      `UPDATE tickets SET checked_in_at = $2 WHERE ticket_id = $1 AND status = 'valid' AND checked_in_at IS NULL
       RETURNING ticket_id`,
      [claims.ticketId, now],
    );
    if (admitted.length === 1) return { ...claims, checkedInAt: now.toISOString() };
    if (t.status === 'void')
      throw new GoneError('This ticket was voided (refund or cancellation).', 'ticket_void');
    const first = await queryOne<{ checked_in_at: Date }>(
      db,
      `SELECT checked_in_at FROM tickets WHERE ticket_id = $1`,
      [claims.ticketId],
    );
    throw new ConflictError(
      `Already used at ${new Date(first!.checked_in_at).toISOString()}.`,
      'already_checked_in',
      { firstUsedAt: new Date(first!.checked_in_at).toISOString() },
    );
  });
}

import QRCode from 'qrcode';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  type Clock,
  type Role,
} from '@ticketslave/common';
import type { Order, PurchaseStore, Transact, UserTicket } from './ports';
import type { TicketCodes } from './ticket-codes';

export interface TicketIssuer {
  codes: TicketCodes;
  clock: Clock;
}

/** One ticket per unit of the order, each with a signed code; a second issue is a no-op. */
export async function issueTickets(s: PurchaseStore, issuer: TicketIssuer, order: Order): Promise<number> {
  const units = await s.tickets.toIssue(order);
  const now = issuer.clock.now();
  const tickets = await Promise.all(
    units.map(async (u) => {
      const ticketId = issuer.codes.newTicketId();
      const code = await issuer.codes.sign(
        { ticketId, eventId: order.eventId, unitId: u.unitId },
        u.startsAt,
        now,
      );
      return { ticketId, unitId: u.unitId, code };
    }),
  );
  return s.tickets.insert(order, tickets, now);
}

/** A ticket as its fan sees it (the API's answer). */
export interface TicketView extends Omit<UserTicket, 'startsAt' | 'checkedInAt'> {
  startsAt: string;
  checkedInAt: string | null;
  /** The code as a QR image, ready for an <img src>. */
  qr: string;
}

/** A fan's tickets (at most 200), in the order of their events. */
export async function ticketsOf(s: PurchaseStore, userId: string): Promise<TicketView[]> {
  return Promise.all(
    (await s.tickets.ofUser(userId)).map(async (t) => ({
      ...t,
      startsAt: t.startsAt.toISOString(),
      checkedInAt: t.checkedInAt ? t.checkedInAt.toISOString() : null,
      qr: await QRCode.toDataURL(t.code, { errorCorrectionLevel: 'M', margin: 1, width: 320 }),
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
 * Admits a ticket once, for the event's organiser or an admin. The signature is checked
 * first (no database work for junk); marking it used only if it is valid and unused is
 * what makes two scanners at two doors admit it only once.
 */
export async function checkIn(
  tx: Transact,
  codes: TicketCodes,
  clock: Clock,
  who: { sub: string; role: Role },
  code: string,
): Promise<CheckInResult> {
  const claims = await codes.verify(code);
  return tx(async (s) => {
    const t = await s.tickets.forDoor(claims.ticketId, claims.eventId);
    if (!t) throw new NotFoundError('No such ticket.', 'ticket_not_found');
    if (who.role !== 'admin' && t.organiserId !== who.sub)
      throw new ForbiddenError('Only the organiser of this event can check tickets in.', 'not_organiser');
    const now = clock.now();
    if (await s.tickets.admit(claims.ticketId, now)) return { ...claims, checkedInAt: now.toISOString() };
    if (t.status === 'void')
      throw new GoneError('This ticket was voided (refund or cancellation).', 'ticket_void');
    const first = (await s.tickets.firstUsedAt(claims.ticketId))!.toISOString();
    throw new ConflictError(`Already used at ${first}.`, 'already_checked_in', { firstUsedAt: first });
  });
}

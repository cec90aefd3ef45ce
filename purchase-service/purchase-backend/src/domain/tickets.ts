import QRCode from 'qrcode';
import { CODE_EXPIRED, ticketSecret } from '@ticketslave/contracts';
import { ConflictError, GoneError, NotFoundError, type Clock } from '@ticketslave/common';
import { scanOnline } from './checkin';
import type { Member } from './organiser-access';
import type { Order, PurchaseStore, TicketRecord, Transact, UserTicket } from './ports';
import type { TicketCodes } from './ticket-codes';

export interface TicketIssuer {
  codes: TicketCodes;
  clock: Clock;
}

/**
 * One ticket per unit of the order, each with a signed code; a second issue is a no-op (one
 * read: nothing is signed or written for units that have their ticket).
 */
export async function issueTickets(s: PurchaseStore, issuer: TicketIssuer, order: Order): Promise<number> {
  const units = await s.tickets.toIssue(order);
  if (units.length === 0) return 0;
  const { tickets, issuedAt } = await signTickets(issuer, order, units);
  return s.tickets.insert(order, tickets, issuedAt);
}

/** A new ticket, its code signed, for each of the order's units given (those without one). */
export async function signTickets(
  issuer: TicketIssuer,
  order: Pick<Order, 'eventId'>,
  units: { unitId: string; startsAt: Date }[],
): Promise<{ tickets: TicketRecord[]; issuedAt: Date }> {
  const issuedAt = issuer.clock.now();
  const tickets = await Promise.all(
    units.map(async (u) => {
      const ticketId = issuer.codes.newTicketId();
      const code = await issuer.codes.sign(
        { ticketId, eventId: order.eventId, unitId: u.unitId },
        u.startsAt,
        issuedAt,
      );
      return { ticketId, unitId: u.unitId, code };
    }),
  );
  return { tickets, issuedAt };
}

/** A ticket as its fan sees it (the API's answer). */
export type TicketView = Pick<
  UserTicket,
  | 'ticketId'
  | 'orderId'
  | 'eventId'
  | 'eventTitle'
  | 'venue'
  | 'unitId'
  | 'categoryName'
  | 'section'
  | 'row'
  | 'seat'
  | 'status'
  | 'code'
> & {
  startsAt: string;
  checkedInAt: string | null;
  /** The ticket's TOTP secret (base32): the page makes the live code from it; null once void. */
  secret: string | null;
  /** Whether the door accepts the static code, printed. */
  staticCode: boolean;
  /** The static code as a QR image, only where it is accepted (for printing). */
  qr: string | null;
};

/**
 * A fan's tickets (at most 200), in the order of their events. Each carries its own TOTP
 * secret, so the page shows a live code that changes every 30 s, offline too; the static
 * code's image only where the organiser accepts printed codes.
 */
export async function ticketsOf(s: PurchaseStore, userId: string): Promise<TicketView[]> {
  return Promise.all(
    (await s.tickets.ofUser(userId)).map(async (t) => {
      const valid = t.status === 'valid';
      return {
        ticketId: t.ticketId,
        orderId: t.orderId,
        eventId: t.eventId,
        eventTitle: t.eventTitle,
        venue: t.venue,
        unitId: t.unitId,
        categoryName: t.categoryName,
        section: t.section,
        row: t.row,
        seat: t.seat,
        status: t.status,
        code: t.code,
        startsAt: t.startsAt.toISOString(),
        checkedInAt: t.checkedInAt ? t.checkedInAt.toISOString() : null,
        secret: valid ? ticketSecret(t.codeKey, t.ticketId) : null,
        staticCode: t.staticCodes,
        qr:
          valid && t.staticCodes
            ? await QRCode.toDataURL(t.code, { errorCorrectionLevel: 'M', margin: 1, width: 320 })
            : null,
      };
    }),
  );
}

/**
 * One of the fan's own valid tickets, for something they keep (the PDF, the Wallet pass):
 * anyone else's ticket is as unknown as a ticket that does not exist.
 */
export async function keptTicket(s: PurchaseStore, userId: string, ticketId: string): Promise<UserTicket> {
  const [t] = await s.tickets.ofUser(userId, ticketId);
  if (!t) throw new NotFoundError('No such ticket.', 'ticket_not_found');
  if (t.status !== 'valid')
    throw new GoneError('This ticket was voided (refund or cancellation).', 'ticket_void');
  return t;
}

export interface CheckInResult {
  ticketId: string;
  eventId: string;
  unitId: string;
  checkedInAt: string;
}

/**
 * Admits a ticket once, for a member of the event's organisation who may check in (door
 * staff, managers, owners) or an admin: the door app's online scan (`scanOnline`), with
 * its verdicts as errors. The signature is checked first, so junk costs no database work.
 */
export async function checkIn(
  db: { tx: Transact; store: PurchaseStore },
  codes: TicketCodes,
  clock: Clock,
  who: Member,
  code: string,
): Promise<CheckInResult> {
  const claims = await codes.verify(code);
  const r = await scanOnline(db, codes, clock, who, claims.eventId, { deviceId: 'checkin-api', code });
  switch (r.verdict) {
    case 'admitted':
      return { ...claims, checkedInAt: r.ticket!.checkedInAt! };
    case 'void':
      throw new GoneError('This ticket was voided (refund or cancellation).', 'ticket_void');
    case 'expired':
      throw new GoneError(`${CODE_EXPIRED[0]!.toUpperCase()}${CODE_EXPIRED.slice(1)}.`, 'code_expired');
    case 'already_used':
    case 'conflict': {
      const first = r.firstScan!.scannedAt;
      throw new ConflictError(`Already used at ${first}.`, 'already_checked_in', { firstUsedAt: first });
    }
    case 'not_found':
    case 'wrong_event':
    case 'invalid':
      throw new NotFoundError('No such ticket.', 'ticket_not_found');
  }
}

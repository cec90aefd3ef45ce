import { AuthError, InputError, NotFoundError, ORDER_REASON } from '@ticketslave/common';
import { requireOnEvent, type Member } from './organiser-access';
import type { OrderStatus, PurchaseStore, Refund } from './ports';
import type { TicketCodes } from './ticket-codes';
import { money } from './money';

/** Which orders a list shows: `sold` (paid, partly or wholly refunded) unless asked otherwise. */
export const ORDER_FILTERS = [
  'sold',
  'paid',
  'partially_refunded',
  'refunded',
  'pending',
  'not_completed',
  'all',
] as const;
export type OrderFilter = (typeof ORDER_FILTERS)[number];

export interface OrderSearch {
  eventId: string;
  status: OrderFilter;
  categoryId?: string;
  checkedIn?: boolean;
  /** A prefix of the buyer's e-mail or name, or a ticket's short reference (8 hex digits, as mailed). */
  text?: string;
  /** An order id, or a ticket id (from a code or typed). */
  id?: string;
}

export interface Cursor {
  at: string;
  id: string;
}

export interface OrderListItem {
  orderId: string;
  createdAt: string;
  email: string;
  buyerName: string | null;
  status: OrderStatus;
  amountMinor: number;
  refundedMinor: number;
  currency: string;
  tickets: number;
  checkedIn: number;
  categoryIds: string[];
}

export interface OrderSummary {
  orders: number;
  tickets: number;
  checkedIn: number;
  grossMinor: number;
  refundedMinor: number;
  netMinor: number;
  currency: string | null;
}

export type TicketFilter = 'valid' | 'void' | 'all';

export interface AttendeeSearch extends Omit<OrderSearch, 'status'> {
  status: TicketFilter;
}

export interface Attendee {
  ticketId: string;
  orderId: string;
  email: string;
  buyerName: string | null;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
  currency: string;
  status: 'valid' | 'void';
  issuedAt: string;
  checkedInAt: string | null;
}

export interface OrderRecord {
  orderId: string;
  eventId: string;
  email: string;
  buyerName: string | null;
  status: OrderStatus;
  reason: string | null;
  amountMinor: number;
  refundedMinor: number;
  currency: string;
  paymentIntentId: string | null;
  createdAt: Date;
  expiresAt: Date;
  authorizedAt: Date | null;
  paidAt: Date | null;
  updatedAt: Date;
  mails: {
    kind: 'confirmation' | 'refund' | 'cancellation';
    refundId: string | null;
    sentAt: Date | null;
    lastError: string | null;
  }[];
}

/** Per category: capacity and where its units are, and how many tickets are valid, used, void. */
export interface CategoryFigures {
  categoryId: string;
  name: string;
  available: number;
  held: number;
  sold: number;
  validTickets: number;
  checkedIn: number;
  voidTickets: number;
}

export interface SaleFigures {
  currency: string | null;
  grossMinor: number;
  refundedMinor: number;
  netMinor: number;
  paidOrders: number;
  byCategory: CategoryFigures[];
}

/** A row of the orders export, as the database gives it (snake case: no per-row copy). */
export interface OrderExportRow {
  order_id: string;
  created_at: string;
  status: OrderStatus;
  email: string;
  buyer_name: string | null;
  tickets: number;
  categories: string | null;
  amount_minor: number;
  refunded_minor: number;
  currency: string;
  paid_at: string | null;
  checked_in: number;
}

/** A row of the attendees export. */
export interface AttendeeExportRow {
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
}

/** The organiser's read side of purchase: lists, search, totals, one order's story, exports. */
export interface OrderLedger {
  /** Every sold order of the event, oldest first, in batches (a server-side cursor). */
  exportOrders(eventId: string): AsyncIterable<OrderExportRow[]>;
  /** Every ticket of the event, in the order issued, in batches. */
  exportAttendees(eventId: string): AsyncIterable<AttendeeExportRow[]>;
  orders(q: OrderSearch, after: Cursor | undefined, limit: number): Promise<OrderListItem[]>;
  summary(q: OrderSearch): Promise<OrderSummary>;
  attendees(q: AttendeeSearch, after: Cursor | undefined, limit: number): Promise<Attendee[]>;
  order(orderId: string): Promise<OrderRecord | undefined>;
  sales(eventId: string): Promise<SaleFigures>;
}

export const encodeCursor = (c: Cursor) => Buffer.from(`${c.at}|${c.id}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id))
    throw new InputError('cursor: is not a cursor this API gave out', [
      { path: 'query.cursor', message: 'invalid' },
    ]);
  return { at, id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a search box holds: an order or ticket id, a ticket's code (what its QR says,
 * checked and turned into its ticket id), the start of an e-mail address or name, or a
 * ticket's short reference from the fan's mail (its order is listed).
 */
export async function readSearch(
  codes: TicketCodes,
  q: string | undefined,
): Promise<Pick<OrderSearch, 'text' | 'id'>> {
  const t = q?.trim();
  if (!t) return {};
  if (UUID.test(t)) return { id: t.toLowerCase() };
  // A ticket's static code, or a live one (its window and TOTP do not matter to a search).
  if (/^[\w-]+\.[\w-]+\.[\w-]+(~\d+~\d+)?$/.test(t)) {
    try {
      return { id: (await codes.verify(t)).ticketId };
    } catch (err) {
      if (err instanceof AuthError)
        throw new InputError('q: this ticket code is not one of ours', [
          { path: 'query.q', message: 'not a valid ticket code' },
        ]);
      throw err;
    }
  }
  return { text: t.toLowerCase() };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One page of an event's orders for its organiser, newest first. */
export async function listOrders(
  s: PurchaseStore,
  ledger: OrderLedger,
  who: Member,
  q: OrderSearch,
  cursor: string | undefined,
  limit: number,
): Promise<Page<OrderListItem>> {
  await requireOnEvent(s, who, q.eventId, 'orders.read');
  const rows = await ledger.orders(q, decodeCursor(cursor), limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.orderId }) : null,
  };
}

export async function orderSummary(s: PurchaseStore, ledger: OrderLedger, who: Member, q: OrderSearch) {
  await requireOnEvent(s, who, q.eventId, 'orders.read');
  return ledger.summary(q);
}

/** One page of an event's tickets (attendees), in the order they were issued. */
export async function listAttendees(
  s: PurchaseStore,
  ledger: OrderLedger,
  who: Member,
  q: AttendeeSearch,
  cursor: string | undefined,
  limit: number,
): Promise<Page<Attendee>> {
  await requireOnEvent(s, who, q.eventId, 'orders.read');
  const rows = await ledger.attendees(q, decodeCursor(cursor), limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.issuedAt, id: last.ticketId }) : null,
  };
}

export async function saleFigures(s: PurchaseStore, ledger: OrderLedger, who: Member, eventId: string) {
  await requireOnEvent(s, who, eventId, 'orders.read');
  return ledger.sales(eventId);
}

export type TimelineKind =
  | 'held'
  | 'authorized'
  | 'paid'
  | 'tickets_issued'
  | 'email_sent'
  | 'email_failing'
  | 'refund_requested'
  | 'refunded'
  | 'refund_failed'
  | 'disputed'
  | 'checked_in'
  | 'expired'
  | 'cancelled'
  | 'failed';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  text: string;
}

export interface OrderDetail {
  order: Omit<
    OrderRecord,
    'createdAt' | 'expiresAt' | 'authorizedAt' | 'paidAt' | 'updatedAt' | 'mails' | 'paymentIntentId'
  > & {
    createdAt: string;
    eventTitle: string;
    timeZone: string;
  };
  tickets: {
    ticketId: string;
    unitId: string;
    categoryId: string;
    section: string | null;
    row: string | null;
    seat: number | null;
    priceMinor: number;
    status: 'valid' | 'void';
    checkedInAt: string | null;
    /** The refund that covers it, if one does (requested or done). */
    refundId: string | null;
  }[];
  refunds: {
    refundId: string;
    source: Refund['source'];
    status: Refund['status'];
    amountMinor: number;
    reason: string;
    releaseSeats: boolean;
    requestedByEmail: string | null;
    failure: string | null;
    createdAt: string;
    settledAt: string | null;
    ticketIds: string[];
  }[];
  /** What can still be refunded (minor units). */
  refundableMinor: number;
  timeline: TimelineEntry[];
}

/** One order with everything that happened to it, oldest first, for its organiser. */
export async function orderDetail(
  s: PurchaseStore,
  ledger: OrderLedger,
  who: Member,
  orderId: string,
): Promise<OrderDetail> {
  const o = await ledger.order(orderId);
  if (!o) throw new NotFoundError('No such order.', 'order_not_found');
  await requireOnEvent(s, who, o.eventId, 'orders.read');
  const event = (await s.events.get(o.eventId))!;
  const tickets = await s.tickets.ofOrder(orderId);
  const refunds = await s.refunds.ofOrder(orderId);
  const ticketOfUnit = new Map(tickets.map((t) => [t.unitId, t.ticketId]));
  const refundOfUnit = new Map(
    refunds
      .filter((r) => r.status !== 'failed')
      .flatMap((r) => r.unitIds.map((u) => [u, r.refundId] as const)),
  );
  const amount = (minor: number) => money(minor, o.currency);
  const t: TimelineEntry[] = [];
  const add = (at: Date | null, kind: TimelineKind, text: string) => {
    if (at) t.push({ at: at.toISOString(), kind, text });
  };
  add(o.createdAt, 'held', 'Seats held for checkout');
  add(o.authorizedAt, 'authorized', `Card authorized for ${amount(o.amountMinor)}`);
  add(o.paidAt, 'paid', `Payment captured: ${amount(o.amountMinor)}`);
  if (tickets.length) {
    const first = tickets.reduce((a, b) => (a.issuedAt < b.issuedAt ? a : b));
    add(first.issuedAt, 'tickets_issued', `${tickets.length} ticket(s) issued`);
  }
  for (const m of o.mails) {
    const what =
      m.kind === 'confirmation'
        ? 'Confirmation e-mail'
        : m.kind === 'cancellation'
          ? 'Event-cancelled e-mail'
          : 'Refund e-mail';
    if (m.sentAt) add(m.sentAt, 'email_sent', `${what} sent to ${o.email}`);
    else if (m.lastError) add(o.updatedAt, 'email_failing', `${what} not sent yet: ${m.lastError}`);
  }
  for (const r of refunds) {
    const units = r.unitIds.length ? `, ${r.unitIds.length} ticket(s)` : '';
    if (r.source === 'organiser')
      add(
        r.createdAt,
        'refund_requested',
        `Refund of ${amount(r.amountMinor)}${units} asked by ${r.requestedByEmail ?? 'an organiser'}: ${r.reason}`,
      );
    if (r.status === 'refunded')
      add(
        r.settledAt,
        r.source === 'dispute' ? 'disputed' : 'refunded',
        r.source === 'dispute'
          ? `Payment disputed (${amount(r.amountMinor)})${units} void: ${r.reason}`
          : `Refunded ${amount(r.amountMinor)}${units}${r.source === 'stripe' ? ' in Stripe’s dashboard' : r.source === 'event_cancelled' ? ' (event cancelled)' : ''}; seats ${r.releaseSeats ? 'back on sale' : 'kept off sale'}`,
      );
    if (r.status === 'failed')
      add(
        r.settledAt,
        'refund_failed',
        `Refund of ${amount(r.amountMinor)} failed: ${r.failure ?? 'refused'}`,
      );
  }
  for (const tk of tickets)
    if (tk.checkedInAt) add(tk.checkedInAt, 'checked_in', `Checked in: ${unitName(tk)}`);
  if (o.status === 'expired' || o.status === 'cancelled' || o.status === 'failed')
    add(
      o.updatedAt,
      o.status,
      o.reason === ORDER_REASON.cardLimitExceeded
        ? `Order ${o.status}: the card had already bought the event’s per-fan limit (${event.perUserLimit}); its authorization was voided`
        : `Order ${o.status}${o.reason ? `: ${o.reason}` : ''}`,
    );
  t.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  const live = refunds.filter((r) => r.status !== 'failed');
  return {
    order: {
      orderId: o.orderId,
      eventId: o.eventId,
      eventTitle: event.title,
      timeZone: event.timeZone,
      email: o.email,
      buyerName: o.buyerName,
      status: o.status,
      reason: o.reason,
      amountMinor: o.amountMinor,
      refundedMinor: o.refundedMinor,
      currency: o.currency,
      createdAt: o.createdAt.toISOString(),
    },
    tickets: tickets.map((tk) => ({
      ticketId: tk.ticketId,
      unitId: tk.unitId,
      categoryId: tk.categoryId,
      section: tk.section,
      row: tk.row,
      seat: tk.seat,
      priceMinor: tk.priceMinor,
      status: tk.status,
      checkedInAt: tk.checkedInAt?.toISOString() ?? null,
      refundId: refundOfUnit.get(tk.unitId) ?? null,
    })),
    refunds: refunds.map((r) => ({
      refundId: r.refundId,
      source: r.source,
      status: r.status,
      amountMinor: r.amountMinor,
      reason: r.reason,
      releaseSeats: r.releaseSeats,
      requestedByEmail: r.requestedByEmail,
      failure: r.failure,
      createdAt: r.createdAt.toISOString(),
      settledAt: r.settledAt?.toISOString() ?? null,
      ticketIds: r.unitIds.map((u) => ticketOfUnit.get(u)).filter((x): x is string => !!x),
    })),
    refundableMinor:
      o.status === 'paid' ? Math.max(0, o.amountMinor - live.reduce((n, r) => n + r.amountMinor, 0)) : 0,
    timeline: t,
  };
}

export const unitName = (u: {
  section: string | null;
  row: string | null;
  seat: number | null;
  categoryId: string;
}) => (u.section ? `${u.section} ${u.row}${u.seat}` : `${u.categoryId} (standing)`);

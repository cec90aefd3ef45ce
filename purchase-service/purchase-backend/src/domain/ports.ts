import type { EventSnapshot, MemberRole, OutgoingMessage, Payload } from '@ticketslave/common';

/** Event statuses in which holds are taken. */
export const SELLING_STATUSES = ['published', 'on_sale'] as const;

export type OrderStatus =
  'pending_payment' | 'confirmed' | 'paid' | 'expired' | 'cancelled' | 'failed' | 'refunded';
export type UnitState = 'available' | 'held' | 'sold';

export interface Order {
  orderId: string;
  eventId: string;
  userId: string;
  email: string;
  admissionId: string;
  status: OrderStatus;
  reason: string | null;
  amountMinor: number;
  currency: string;
  createdAt: Date;
  expiresAt: Date;
}

export type OrderState = Pick<Order, 'orderId' | 'userId' | 'status' | 'reason'>;

export interface OrderItem {
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
}

/** An order with its items and its event's title, as a fan sees it. */
export interface OrderWithItems extends Order {
  eventTitle: string;
  items: OrderItem[];
}

/** A sellable unit as a feed snapshot lays it out (see applySnapshot). */
export interface UnitLayout {
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  ordinal: number;
  priceMinor: number;
  currency: string;
}

/** The event as purchase keeps it (from feed's snapshots). */
export interface SaleEvent {
  eventId: string;
  /** Who created it in feed. */
  organiserId: string;
  /** Its organisation, whose members act on it; null in snapshots of a feed older than organisations. */
  organisationId: string | null;
  /** The venue's IANA zone and when its doors open. */
  timeZone: string;
  doorsAt: Date | null;
  status: string;
  title: string;
  venue: string;
  startsAt: Date;
  holdSeconds: number;
  perUserLimit: number;
  categories: { id: string; name: string; kind: 'reserved' | 'ga'; priceMinor: number; currency: string }[];
}

export interface EventCodeSettings {
  codeKey: string;
  staticCodes: boolean;
}

export interface EventStore {
  /** Stores a snapshot's sale terms unless an equal or newer version is there; false when stale. */
  upsert(snap: EventSnapshot): Promise<boolean>;
  get(eventId: string): Promise<SaleEvent | undefined>;
  /**
   * How the event's tickets are checked (issue 20.6): its code key (hex, never changes), from
   * which each ticket's TOTP secret is derived, and whether a static printable code is accepted.
   */
  codeSettings(eventId: string): Promise<EventCodeSettings | undefined>;
  /** Lets the door accept static, printable codes for the event, or not (rotating codes only). */
  setStaticCodes(eventId: string, allowed: boolean): Promise<void>;
  /** Marks the event cancelled, once every hold in flight has committed (holds after it see it). */
  cancel(eventId: string): Promise<void>;
}

export interface UnitStore {
  /**
   * Makes the event's units those of `units`: creates, updates and deletes available
   * units; held and sold units are never touched.
   */
  setLayout(eventId: string, units: UnitLayout[]): Promise<void>;
  /** Puts the orders' units back on sale; returns how many. */
  release(orderIds: string[], from: 'held' | 'sold' | 'any'): Promise<number>;
  /** Puts some sold units of one order back on sale (a partial refund); returns how many. */
  releaseSome(orderId: string, unitIds: string[]): Promise<number>;
  /** Locks units of an event, in the order holds lock them. */
  lock(
    eventId: string,
    unitIds: string[],
  ): Promise<{ unitId: string; status: UnitState; orderId: string | null }[]>;
  markSold(eventId: string, unitIds: string[], orderId: string): Promise<void>;
  counts(eventId: string): Promise<{ categoryId: string; status: UnitState; n: number }[]>;
  /** The event's units aggregated per (category, section, row); see seatMap. */
  seatRows(eventId: string): Promise<SeatRow[]>;
  /** Unit changes after `afterSeq`, in change order (for live seat maps). */
  changesSince(
    eventId: string,
    afterSeq: number,
    limit: number | null,
  ): Promise<{ unitId: string; state: UnitState; seq: number }[]>;
}

/** One (category, section, row) of a seat map; general admission is one row per category. */
export interface SeatRow {
  categoryId: string;
  section: string | null;
  row: string | null;
  /** One state character per seat (a/h/s), in seat order. */
  seats: string;
  /** Seat numbers, only when the row has gaps. */
  positions: number[] | null;
  available: number;
  held: number;
  sold: number;
  version: number;
}

export interface OrderStore {
  get(orderId: string): Promise<Order | undefined>;
  /** The order, locked for the rest of the transaction. */
  lock(orderId: string): Promise<Order | undefined>;
  setStatus(orderIds: string | string[], status: OrderStatus, reason?: string | null): Promise<void>;
  /**
   * The order, locked for the rest of the transaction, with the buyer's name payment gave (if
   * any) kept on it in the same statement.
   */
  lockForPayment(orderId: string, buyerName?: string): Promise<Order | undefined>;
  /** Adds a settled refund's amount to the order's refunded total. */
  addRefunded(orderId: string, minor: number): Promise<void>;
  /** Pending orders whose hold lapsed, locked; ones another transaction holds are skipped. */
  lockLapsed(now: Date, limit: number): Promise<Order[]>;
  /** The event's orders awaiting payment, locked in order id order. */
  lockPending(eventId: string): Promise<Order[]>;
  /** The admission's live order (pending, confirmed, paid or refunded), if any. */
  liveOnAdmission(admissionId: string): Promise<string | undefined>;
  /** A fan's orders, newest first (at most 100); `orderId` narrows to one. */
  ofUser(userId: string, orderId?: string): Promise<OrderWithItems[]>;
  /** The owner, status and reason of each of these orders that exists (the order feed's read). */
  statuses(orderIds: string[]): Promise<OrderState[]>;
}

export interface InventoryCounts {
  available: number;
  held: number;
  sold: number;
  byCategory: { categoryId: string; available: number; held: number; sold: number }[];
}

/** What the inventory publisher last sent per event (see publishInventoryChanges). */
export interface PublicationStore {
  /**
   * Events not completed, each locked (SKIP LOCKED: instances share them), with the
   * counts last published, the change sequence they covered, the highest now, and
   * whether a change was seen in the last `recheckSeconds`.
   */
  lockAll(
    recheckSeconds: number,
  ): Promise<
    { eventId: string; counts: InventoryCounts | null; seenSeq: number; maxSeq: number; recent: boolean }[]
  >;
  record(
    eventId: string,
    r: { counts: InventoryCounts; seenSeq: number; moved: boolean; published: boolean },
  ): Promise<void>;
}

export interface TicketRecord {
  ticketId: string;
  unitId: string;
  code: string;
}

/** A card's authorization for an order, as the authorization store takes it. */
export interface AuthorizationInput {
  /** The message (payment.authorized) and its consumer: applied once. */
  consumer: string;
  messageId: string;
  orderId: string;
  paymentIntentId: string;
  buyerName?: string;
  /** Only where the per-card limit applies (kept on the order, counted against the event's). */
  cardFingerprint?: string;
  amountMinor: number;
}

/** What the authorization did to its order (data/sql/authorizations.sql says when each comes). */
export type Authorization =
  | { outcome: 'duplicate' | 'unknown' }
  | { outcome: 'ignored'; order: Order }
  | {
      outcome: 'cancelled';
      order: Order;
      reason: string;
      /** Cancelled before this authorization: nothing changed now. */
      already: boolean;
      /** When the card's per-fan limit was the reason: its tickets already, and the limit. */
      owned?: number;
      limit?: number;
    }
  | { outcome: 'secured'; order: Order; units: { unitId: string; startsAt: Date }[] };

/** What an authorization's transaction writes with its commit, made from its answer. */
export interface AuthorizationWrites {
  /** Tickets issued (the order is then confirmed). */
  issued?: { tickets: TicketRecord[]; issuedAt: Date };
  messages: OutgoingMessage[];
}

export interface AuthorizationStore {
  /**
   * Applies one authorization once, in one transaction: its checks and the seats' fate
   * first, then what `finish` makes of that answer, written with the commit.
   */
  apply(
    input: AuthorizationInput,
    finish: (a: Authorization) => Promise<AuthorizationWrites>,
  ): Promise<Authorization>;
}

/** What a capture did (data/sql/authorizations.sql settle_capture says when each comes). */
export type Capture =
  | { outcome: 'duplicate' | 'unknown' | 'paid' | 'needs_tickets' }
  | { outcome: 'ignored'; status: OrderStatus };

export interface CaptureStore {
  /**
   * Applies one capture once, in one statement, when the order's tickets exist: the order
   * paid and its confirmation mail queued. `needs_tickets` records nothing.
   */
  settle(input: {
    consumer: string;
    messageId: string;
    orderId: string;
    buyerName?: string;
  }): Promise<Capture>;
}

export interface TicketStore {
  /** The units of an order that have no ticket yet, and when its event starts. */
  toIssue(order: Order): Promise<{ unitId: string; startsAt: Date }[]>;
  /** Inserts the tickets; a second issue for the same (order, unit) is a no-op. Returns how many were new. */
  insert(order: Order, tickets: TicketRecord[], issuedAt: Date): Promise<number>;
  /** Voids valid tickets: of an order, of some units of an order, or of an event. Returns the units voided. */
  void(where: { orderId: string; unitIds?: string[] } | { eventId: string }): Promise<string[]>;
  /** An order's tickets with their prices, in unit order. */
  ofOrder(orderId: string): Promise<OrderTicket[]>;
  /** A fan's tickets (at most 200) in the order of their events; with `ticketId`, that one if it is theirs. */
  ofUser(userId: string, ticketId?: string): Promise<UserTicket[]>;
  /** The codes of an order's valid tickets. */
  codesOf(orderId: string): Promise<{ unitId: string; code: string }[]>;
}

export interface OrderTicket {
  ticketId: string;
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
  status: 'valid' | 'void';
  issuedAt: Date;
  checkedInAt: Date | null;
  voidedAt: Date | null;
}

export interface UserTicket {
  ticketId: string;
  orderId: string;
  eventId: string;
  eventTitle: string;
  venue: string;
  startsAt: Date;
  unitId: string;
  categoryName: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  status: 'valid' | 'void';
  checkedInAt: Date | null;
  code: string;
  /** The event's code key (hex), from which this ticket's TOTP secret is derived. */
  codeKey: string;
  /** Whether the organiser accepts a static, printable code at the door. */
  staticCodes: boolean;
  /** The venue's time zone (IANA), in which a ticket shows the date. */
  timeZone: string;
  doorsAt: Date | null;
  /** What the fan paid for this ticket, in the order's currency. */
  priceMinor: number;
  currency: string;
}

/** Organisations and their members, as feed announces them (organisation.updated). */
export interface OrganisationStore {
  /** Stores the snapshot unless an equal or newer version is there; false when stale. */
  apply(p: Payload<'organisation.updated'>): Promise<boolean>;
  /**
   * The user's role on the event: their role in its organisation, or owner for the creator of
   * an event without one (a feed older than organisations). Undefined: no such event, or no access.
   */
  roleOnEvent(eventId: string, userId: string): Promise<MemberRole | undefined>;
  /** The organisation's choice for seats of tickets refunded at Stripe or disputed (true: back on sale). */
  releaseSeatsOnExternalRefund(eventId: string): Promise<boolean>;
}

export type RefundSourceKind = 'organiser' | 'stripe' | 'dispute' | 'event_cancelled' | 'payment';

export interface Refund {
  refundId: string;
  orderId: string;
  eventId: string;
  source: RefundSourceKind;
  status: 'requested' | 'refunded' | 'failed';
  amountMinor: number;
  reason: string;
  releaseSeats: boolean;
  requestedByEmail: string | null;
  failure: string | null;
  createdAt: Date;
  settledAt: Date | null;
  unitIds: string[];
}

export interface RefundStore {
  insert(
    r: Omit<Refund, 'createdAt' | 'settledAt' | 'failure'> & { requestedBy: string | null },
  ): Promise<void>;
  /** The refund, locked. */
  lock(refundId: string): Promise<Refund | undefined>;
  /** Refunds of an order that have not failed: their amounts and units count against what is left. */
  liveOf(orderId: string): Promise<Refund[]>;
  ofOrder(orderId: string): Promise<Refund[]>;
  settle(refundId: string, status: 'refunded' | 'failed', failure?: string): Promise<void>;
  /** Units of the order in a refund that has not failed (the UNIQUE that stops a second refund). */
  addUnits(refundId: string, orderId: string, unitIds: string[]): Promise<void>;
  /** A failed refund frees its tickets for another refund. */
  dropUnits(refundId: string): Promise<void>;
}

/** A ticket as the door sees it: what to show on a verdict and to search by. */
export interface DoorTicket {
  ticketId: string;
  eventId: string;
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  /** The buyer's name, or their e-mail when Stripe had no name. */
  holder: string;
  status: 'valid' | 'void';
  checkedInAt: Date | null;
}

/** A scan that admitted a ticket on some device, online or offline. */
export interface ScanRecord {
  scanId: string;
  ticketId: string;
  eventId: string;
  deviceId: string;
  memberId: string;
  scannedAt: Date;
  offline: boolean;
}

export interface FirstScan {
  scanId: string;
  deviceId: string;
  scannedAt: Date;
}

/** A ticket admitted more than once (two offline devices): its scans, the first one won. */
export interface TicketConflict {
  ticket: DoorTicket;
  scans: { scanId: string; deviceId: string; scannedAt: Date; offline: boolean }[];
}

export interface AdmitAttempt {
  scanId: string;
  ticketId: string;
  eventId: string;
  deviceId: string;
  memberId: string;
  at: Date;
  admin: boolean;
  /** The organisation roles that may check in. */
  roles: string[];
}

export interface CheckinStore {
  /** Every ticket of an event (valid and void), for a device to check offline. */
  ofEvent(eventId: string): Promise<DoorTicket[]>;
  /**
   * An online scan's usual case in one statement: admits the ticket if it is this event's,
   * valid and not yet in, and the member's role (`roles`, or `admin`) may check in here,
   * recording the scan; undefined when any of that fails (the caller finds out why).
   */
  admit(a: AdmitAttempt): Promise<(DoorTicket & { category: string | undefined }) | undefined>;
  /** The ticket, locked: scans of one ticket are decided one at a time. */
  lock(ticketId: string): Promise<DoorTicket | undefined>;
  /** Records a scan; the same scan id again is a no-op (a sync sent twice). */
  record(scan: ScanRecord): Promise<void>;
  /** The earliest scan of a ticket: the one that admitted it. */
  firstScan(ticketId: string): Promise<FirstScan | undefined>;
  setCheckedIn(ticketId: string, at: Date): Promise<void>;
  counts(eventId: string): Promise<{ valid: number; checkedIn: number }>;
  conflicts(eventId: string): Promise<TicketConflict[]>;
}

/** Everything the purchase rules read and write, bound to one transaction (or to none). */
export interface PurchaseStore {
  events: EventStore;
  units: UnitStore;
  orders: OrderStore;
  tickets: TicketStore;
  publications: PublicationStore;
  organisations: OrganisationStore;
  refunds: RefundStore;
  checkins: CheckinStore;
  /** Queues the order's confirmation e-mail (sent after the commit, see messaging/mail-sender). */
  queueConfirmationMail(orderId: string): Promise<void>;
  /**
   * Queues the e-mail telling the fan about a refund (sent after the commit); with
   * `unlessCancelled`, not when the order's cancellation mail is queued already.
   */
  queueRefundMail(orderId: string, refundId: string, unlessCancelled?: boolean): Promise<void>;
  /** Queues one cancellation e-mail per paid order of a cancelled event (sent after the commit). */
  queueCancellationMails(eventId: string): Promise<void>;
  /** Records messages in the outbox: published if and only if the transaction commits. */
  enqueue(messages: OutgoingMessage[]): Promise<void>;
}

/** Runs `fn` in one database transaction. */
export type Transact = <T>(fn: (store: PurchaseStore) => Promise<T>) => Promise<T>;

import type { EventSnapshot, OutgoingMessage } from '@ticketslave/common';

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
  organiserId: string;
  status: string;
  title: string;
  venue: string;
  startsAt: Date;
  holdSeconds: number;
  perUserLimit: number;
  categories: { id: string; name: string; kind: 'reserved' | 'ga'; priceMinor: number; currency: string }[];
}

export interface EventStore {
  /** Stores a snapshot's sale terms unless an equal or newer version is there; false when stale. */
  upsert(snap: EventSnapshot): Promise<boolean>;
  get(eventId: string): Promise<SaleEvent | undefined>;
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
  setPaymentIntent(orderId: string, paymentIntentId: string): Promise<void>;
  /** Pending orders whose hold lapsed, locked; ones another transaction holds are skipped. */
  lockLapsed(now: Date, limit: number): Promise<Order[]>;
  /** The event's orders awaiting payment, locked in order id order. */
  lockPending(eventId: string): Promise<Order[]>;
  unitIds(orderId: string): Promise<string[]>;
  /** A fan's orders, newest first (at most 100); `orderId` narrows to one. */
  ofUser(userId: string, orderId?: string): Promise<OrderWithItems[]>;
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

export interface TicketStore {
  /** The units an order's tickets are for, and when its event starts. */
  toIssue(order: Order): Promise<{ unitId: string; startsAt: Date }[]>;
  /** Inserts the tickets; a second issue for the same (order, unit) is a no-op. Returns how many were new. */
  insert(order: Order, tickets: TicketRecord[], issuedAt: Date): Promise<number>;
  void(where: { orderId: string } | { eventId: string }): Promise<void>;
  ofUser(userId: string): Promise<UserTicket[]>;
  /** A ticket's status and its event's organiser, for the door. */
  forDoor(
    ticketId: string,
    eventId: string,
  ): Promise<{ organiserId: string; status: 'valid' | 'void' } | undefined>;
  /** Marks a valid ticket used, once; false when it was void or used already. */
  admit(ticketId: string, at: Date): Promise<boolean>;
  firstUsedAt(ticketId: string): Promise<Date | undefined>;
  /** The codes of an order's valid tickets. */
  codesOf(orderId: string): Promise<{ unitId: string; code: string }[]>;
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
}

/** Everything the purchase rules read and write, bound to one transaction (or to none). */
export interface PurchaseStore {
  events: EventStore;
  units: UnitStore;
  orders: OrderStore;
  tickets: TicketStore;
  publications: PublicationStore;
  /** Queues the order's confirmation e-mail (sent after the commit, see messaging/mail-sender). */
  queueConfirmationMail(orderId: string): Promise<void>;
  /** Records messages in the outbox: published if and only if the transaction commits. */
  enqueue(messages: OutgoingMessage[]): Promise<void>;
}

/** Runs `fn` in one database transaction. */
export type Transact = <T>(fn: (store: PurchaseStore) => Promise<T>) => Promise<T>;

import { randomUUID } from 'node:crypto';
import {
  canonicalEmail,
  ConflictError,
  currentRequestId,
  InputError,
  NotFoundError,
  type AppError,
  type Clock,
  type OutgoingMessage,
  type PartitionProgress,
  withTimeout,
} from '@ticketslave/common';
import { cancelOrder, orderMessage, orderView, type OrderView } from './orders';
import type { Order, OrderWithItems, PurchaseStore, Transact } from './ports';

/** Places of one category by quantity (general admission, or any seats of a reserved category). */
export interface Places {
  categoryId: string;
  quantity: number;
}

/**
 * What a fan asks to hold: chosen seats; any places of a category; or the best block of
 * adjacent seats of a reserved category (`together`, scored as docs/architecture.md says). Seats
 * and a best block may bring standing places of a general-admission category into the same order.
 */
export type HoldSelection =
  { seats: string[]; standing?: Places } | Places | { together: Places; standing?: Places };

/** A fan whose admission to the event's purchase window was checked (see http/admission). */
export interface HoldRequest {
  eventId: string;
  userId: string;
  email: string;
  admissionId: string;
  selection: HoldSelection;
}

/** One hold as the store runs it: what to pick, for whom, under which new order id. */
export interface Hold {
  eventId: string;
  /** Chosen seats, distinct and sorted; null for best available in `category`. */
  seats: string[] | null;
  category: string | null;
  /** Best available in `category` as one block of adjacent seats (a reserved category). */
  together: boolean;
  /** Standing places joining the seats in the same order (a mixed order). */
  standing: Places | null;
  /** The whole order's count: seats or places, plus the standing places. */
  quantity: number;
  userId: string;
  email: string;
  /** The canonical address of the account (`canonicalEmail`): one person buys through one account. */
  person: string;
  admissionId: string;
  orderId: string;
}

export type Refusal =
  | {
      reason:
        'event_not_found' | 'not_on_sale' | 'admission_used' | 'mixed_currencies' | 'person_has_account';
    }
  | { reason: 'unknown_seats'; unknown: string[] }
  | { reason: 'limit_exceeded'; limit: number; owned: number }
  | { reason: 'seats_taken'; taken: string[] }
  | { reason: 'not_enough_available'; available: number; category?: string }
  | { reason: 'no_adjacent'; category: string; quantity: number; available: number; largest: number };

export interface HoldStore {
  /**
   * Runs one hold, all or nothing: checks the event is on sale and the fan's per-user
   * limit and admission, locks still-available units (the chosen seats, or the best
   * available of the category), writes the order, its items and the held units, and,
   * in the same transaction, the messages `announce` makes of the new order. A refusal
   * has written nothing. (PgHoldStore: the hold_units_batch SQL function, batched.)
   */
  hold(
    hold: Hold,
    announce: (order: Order) => OutgoingMessage[],
  ): Promise<OrderWithItems | { refused: Refusal }>;
}

/**
 * Hold seats: for a fan whose admission was checked, pick the units (the seats asked
 * for, or the best available of a category), hold them under a new order, and tell
 * payment about the order (order.created, in the hold's transaction) so it can open
 * the fan's checkout. The fan has the order's `expiresAt` to pay.
 */
export async function holdSeats(holds: HoldStore, req: HoldRequest): Promise<OrderView> {
  const requestId = currentRequestId();
  const answer = await holds.hold(
    {
      eventId: req.eventId,
      ...pick(req.selection),
      userId: req.userId,
      email: req.email,
      // One person, one place: the per-fan limit counts per account, and a person buys through one
      // (claimed by the first hold taken, in its transaction: see sql/holds.sql).
      person: canonicalEmail(req.email),
      admissionId: req.admissionId,
      orderId: randomUUID(),
    },
    (order) => [orderMessage('order.created', order, { requestId })],
  );
  if ('refused' in answer) throw refusalError(answer.refused);
  return orderView(answer);
}

function pick(sel: HoldSelection): Pick<Hold, 'seats' | 'category' | 'together' | 'standing' | 'quantity'> {
  const standing = 'standing' in sel && sel.standing ? sel.standing : null;
  const extra = standing?.quantity ?? 0;
  if ('seats' in sel) {
    const seats = [...new Set(sel.seats)].sort();
    return { seats, category: null, together: false, standing, quantity: seats.length + extra };
  }
  if ('together' in sel) {
    const t = sel.together;
    return { seats: null, category: t.categoryId, together: true, standing, quantity: t.quantity + extra };
  }
  return { seats: null, category: sel.categoryId, together: false, standing: null, quantity: sel.quantity };
}

function refusalError(r: Refusal): AppError {
  switch (r.reason) {
    case 'event_not_found':
      return new NotFoundError('No such event on sale.', 'event_not_found');
    case 'not_on_sale':
      return new ConflictError('This event is not on sale.', 'not_on_sale');
    case 'unknown_seats': {
      const unknown = r.unknown.slice(0, 10).join(', ');
      return new InputError(`Unknown seats: ${unknown}`, [
        { path: 'body.seats', message: `not seats of this event: ${unknown}` },
      ]);
    }
    case 'limit_exceeded':
      return new ConflictError(
        `You can buy at most ${r.limit} tickets for this event (you have ${r.owned}).`,
        'limit_exceeded',
        { limit: r.limit, owned: r.owned },
      );
    case 'admission_used':
      return new ConflictError(
        'This admission already has an order in progress or paid. Pay for it or release it to choose again ' +
          '(a declined, released or lapsed order frees the admission until it expires).',
        'admission_used',
      );
    case 'seats_taken':
      return new ConflictError('Some of these seats were just taken.', 'seats_taken', { taken: r.taken });
    case 'not_enough_available': {
      const what = r.category ? `standing category ${r.category}` : 'this category';
      return new ConflictError(
        r.available === 0
          ? `${r.category ? `The ${what}` : 'This category'} is sold out.`
          : `Only ${r.available} left in ${what}.`,
        'not_enough_available',
        { available: r.available, ...(r.category ? { categoryId: r.category } : {}) },
      );
    }
    case 'no_adjacent':
      // No split is offered in the same answer: the fan decides (fewer together, or the map).
      return new ConflictError(
        r.largest >= r.quantity
          ? // Blocks are left but other fans' holds in flight have them locked (best_block never waits).
            `Other fans are holding the last blocks of ${r.quantity} adjacent seats in ${r.category} right now; try again in a moment.`
          : `No ${r.quantity} adjacent seats left in ${r.category}.`,
        'no_adjacent_seats',
        { available: r.available, largestBlock: r.largest },
      );
    case 'mixed_currencies':
      return new InputError('Seats priced in different currencies cannot share an order.');
    case 'person_has_account':
      return new ConflictError(
        'Another account with the same e-mail inbox already buys for this event: one person, one place (its tickets count toward the per-fan limit).',
        'person_has_account',
      );
  }
}

/**
 * The fan gives the seats back before paying; payment cancels the checkout on order.cancelled.
 * Releasing again what the fan released is done, not a conflict: a page that retries after its
 * answer was lost (a dropped connection, an instance that died after the commit) is told so.
 */
export async function releaseHold(tx: Transact, userId: string, orderId: string): Promise<void> {
  await tx(async (s) => {
    const order = await s.orders.lock(orderId);
    if (!order || order.userId !== userId) throw new NotFoundError('No such order.', 'order_not_found');
    if (order.status === 'cancelled' && order.reason === 'released') return;
    if (order.status !== 'pending_payment')
      throw new ConflictError(`This order is ${order.status}; its seats cannot be released.`, 'not_pending');
    await cancelOrder(s, order, 'released');
  });
}

/**
 * How far the sweeper may expire holds: up to the last moment by which every card authorization
 * on its way (payment.authorized) has been read. A fan who paid before the hold ran out keeps the
 * seats even when purchase was down or behind as the hold ran out: without this, the sweeper of a
 * restarted purchase gave the seats back (and a waiting fan took them) before the consumer read
 * the authorization, and the paying fan's order was cancelled (the purchase fault drill's
 * `order_cancelled`).
 *
 * Each reading takes the topic's end offsets at a moment; once the group has read past them, every
 * authorization published before that moment has been handled, and holds that lapsed before it may
 * go. Read to the end right away: now. The reading before, otherwise: the horizon trails the
 * consumer by one sweep. A broker that does not answer (within `readTimeoutMs`) moves nothing.
 */
export class AuthorizationHorizon {
  /** Earlier readings not yet read past, oldest first (at most `keep`). */
  private readings: { at: Date; ends: Map<number, number> }[] = [];
  private safe: Date | null = null;

  constructor(
    private readonly read: () => Promise<PartitionProgress[]>,
    private readonly clock: Clock,
    private readonly keep = 600,
    /** A reading slower than this counts as no answer: the sweep (and a stop waiting for it) goes on. */
    private readonly readTimeoutMs = 2000,
  ) {}

  /** Holds lapsed at or before the returned time may be expired; null: none yet. */
  async horizon(): Promise<Date | null> {
    const at = this.clock.now();
    let parts: PartitionProgress[];
    try {
      parts = await withTimeout(this.read(), this.readTimeoutMs, 'no answer');
    } catch {
      return this.safe;
    }
    const done = new Map(parts.map((p) => [p.partition, p.done]));
    const readPast = (ends: Map<number, number>) =>
      [...ends].every(([partition, end]) => (done.get(partition) ?? 0) >= end);
    const ends = new Map(parts.map((p) => [p.partition, p.end]));
    if (readPast(ends)) {
      this.safe = at;
      this.readings = [];
      return this.safe;
    }
    while (this.readings.length && readPast(this.readings[0]!.ends)) this.safe = this.readings.shift()!.at;
    this.readings.push({ at, ends });
    if (this.readings.length > this.keep) this.readings.shift();
    return this.safe;
  }
}

/**
 * Expires lapsed holds, a batch at a time: the seats go back on sale and payment hears
 * order.expired. Orders another instance is expiring are skipped, so every instance
 * can sweep at once without two of them expiring the same order. `horizon`: expire only
 * holds lapsed by then (AuthorizationHorizon); none when null.
 */
export async function sweepExpiredHolds(
  tx: Transact,
  clock: Clock,
  opts: { batch?: number; horizon?: () => Promise<Date | null> } = {},
): Promise<number> {
  const batch = opts.batch ?? 200;
  const now = clock.now();
  const horizon = opts.horizon ? await opts.horizon() : now;
  if (!horizon) return 0;
  const until = horizon < now ? horizon : now;
  let total = 0;
  for (;;) {
    const n = await tx(async (s) => {
      const due = await s.orders.lockLapsed(until, batch);
      if (due.length === 0) return 0;
      const ids = due.map((o) => o.orderId);
      await s.units.release(ids, 'held');
      await s.orders.setStatus(ids, 'expired', 'hold_expired');
      await s.enqueue(due.map((o) => orderMessage('order.expired', o)));
      return due.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

export interface PurchaseWindow {
  admissionId: string;
  /** When the admission ends: no hold after it (a hold made before runs its course). */
  expiresAt: string;
  /** How long a hold keeps the seats while the fan pays. */
  holdSeconds: number;
  /** The admission's order in progress or paid; null while the fan may hold. */
  orderId: string | null;
}

/** What the seat page shows before a hold: how long the fan may still choose, and for how long seats are kept. */
export async function purchaseWindow(
  s: PurchaseStore,
  eventId: string,
  admission: { aid: string; exp: number },
): Promise<PurchaseWindow> {
  const event = await s.events.get(eventId);
  if (!event) throw new NotFoundError('No such event.', 'event_not_found');
  return {
    admissionId: admission.aid,
    expiresAt: new Date(admission.exp * 1000).toISOString(),
    holdSeconds: event.holdSeconds,
    orderId: (await s.orders.liveOnAdmission(admission.aid)) ?? null,
  };
}

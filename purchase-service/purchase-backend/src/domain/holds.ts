import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  InputError,
  NotFoundError,
  queryOne,
  queryRows,
  type Clock,
} from '@ticketslave/common';
import { claimUnits, unknownSeats, type Claim } from './hold-claim';
import { emitOrder, lockOrder, setOrderStatus, type OrderRow, type OrderView } from './orders';
import { SELLING_STATUSES, type Transact } from './ports';
import { releaseUnits } from './units';

export type HoldSelection = { seats: string[] } | { categoryId: string; quantity: number };

export interface HoldRequest {
  eventId: string;
  userId: string;
  email: string;
  admissionId: string;
  selection: HoldSelection;
}

/**
 * Holds seats for one admitted fan, all or nothing, in one transaction of three
 * statements:
 * 1. the event row is share-locked (a cancellation waits for holds in flight), then
 *    the fan's (event, user) advisory lock is taken, which makes the per-user limit
 *    exact: the next statement's snapshot sees every earlier hold of this fan;
 * 2. one statement checks the limit and the admission, locks still-available units in
 *    sorted order and writes the order, its items and the held units ({@link claimUnits});
 * 3. order.created goes to the outbox, and the transaction commits.
 * Row locks on the seats are thus held for two round trips, not for the whole hold.
 * The order's UNIQUE(admission_id) makes one admission one order; overselling is
 * impossible because a unit changes from available to held only under its row lock.
 */
export async function createHold(tx: Transact, clock: Clock, req: HoldRequest): Promise<OrderView> {
  const sel = req.selection;
  const claim: Claim = 'seats' in sel ? { seats: [...new Set(sel.seats)].sort() } : sel;
  const quantity = 'seats' in claim ? claim.seats.length : claim.quantity;
  return tx(async (db) => {
    const event = await queryOne<{
      status: string;
      hold_seconds: number;
      per_user_limit: number;
      title: string;
    }>(
      db,
      // FOR SHARE sits in the subquery, so the row lock comes before the advisory lock,
      // the order every hold takes them in (a cancellation waiting for the row cannot
      // close a cycle through two holds of the same fan).
      `SELECT e.*, pg_advisory_xact_lock(hashtext($2))::text AS locked FROM (
         SELECT status, hold_seconds, per_user_limit, title FROM events WHERE event_id = $1 FOR SHARE
       ) e`,
      [req.eventId, `purchase:limit:${req.eventId}:${req.userId}`],
    );
    if (!event) throw new NotFoundError('No such event on sale.', 'event_not_found');
    if (!(SELLING_STATUSES as readonly string[]).includes(event.status))
      throw new ConflictError('This event is not on sale.', 'not_on_sale');

    const now = clock.now();
    const r = await claimUnits(
      db,
      {
        orderId: randomUUID(),
        eventId: req.eventId,
        userId: req.userId,
        email: req.email,
        admissionId: req.admissionId,
        perUserLimit: event.per_user_limit,
        createdAt: now,
        expiresAt: new Date(now.getTime() + event.hold_seconds * 1000),
      },
      claim,
    );
    if (r.known < quantity && 'seats' in claim) {
      const unknown = (await unknownSeats(db, req.eventId, claim.seats)).slice(0, 10).join(', ');
      throw new InputError(`Unknown seats: ${unknown}`, [
        { path: 'body.seats', message: `not seats of this event: ${unknown}` },
      ]);
    }
    if (r.owned + quantity > event.per_user_limit)
      throw new ConflictError(
        `You can buy at most ${event.per_user_limit} tickets for this event (you have ${r.owned}).`,
        'limit_exceeded',
        { limit: event.per_user_limit, owned: r.owned },
      );
    if (r.used) throw new ConflictError('This admission was already used for an order.', 'admission_used');
    if (r.claimedIds.length < quantity) {
      if ('seats' in claim) {
        const got = new Set(r.claimedIds);
        const taken = claim.seats.filter((s) => !got.has(s));
        throw new ConflictError('Some of these seats were just taken.', 'seats_taken', { taken });
      }
      const n = r.claimedIds.length;
      throw new ConflictError(
        n === 0 ? 'This category is sold out.' : `Only ${n} left in this category.`,
        'not_enough_available',
        { available: n },
      );
    }
    if (r.currencies > 1) throw new InputError('Seats priced in different currencies cannot share an order.');
    // Everything was claimed, so only a concurrent order of the same admission stops the insert.
    if (!r.order) throw new ConflictError('This admission was already used for an order.', 'admission_used');

    await emitOrder(db, 'order.created', r.order);
    return {
      orderId: r.order.order_id,
      eventId: r.order.event_id,
      eventTitle: event.title,
      status: r.order.status,
      reason: r.order.reason,
      amountMinor: r.order.amount_minor,
      currency: r.order.currency,
      createdAt: r.order.created_at.toISOString(),
      expiresAt: r.order.expires_at.toISOString(),
      items: r.items.map((i) => ({
        unitId: i.unit_id,
        categoryId: i.category_id,
        section: i.section,
        row: i.row_label,
        seat: i.seat,
        priceMinor: i.price_minor,
      })),
    };
  });
}

/** The fan gives the seats back before paying; payment cancels the session on order.cancelled. */
export async function releaseHold(tx: Transact, userId: string, orderId: string): Promise<void> {
  await tx(async (db) => {
    const order = await lockOrder(db, orderId);
    if (!order || order.user_id !== userId) throw new NotFoundError('No such order.', 'order_not_found');
    if (order.status !== 'pending_payment')
      throw new ConflictError(`This order is ${order.status}; its seats cannot be released.`, 'not_pending');
    await releaseUnits(db, [orderId], 'held');
    await setOrderStatus(db, orderId, 'cancelled', 'released');
    await emitOrder(db, 'order.cancelled', order, { reason: 'released' });
  });
}

/**
 * Expires lapsed holds, a batch at a time. SKIP LOCKED lets every instance sweep
 * at once without two of them expiring the same order.
 */
export async function sweepExpiredHolds(tx: Transact, clock: Clock, batch = 200): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await tx(async (db) => {
      const due = await queryRows<OrderRow>(
        db,
        `SELECT * FROM orders WHERE status = 'pending_payment' AND expires_at <= $1
         ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [clock.now(), batch],
      );
      if (due.length === 0) return 0;
      const ids = due.map((o) => o.order_id);
      await releaseUnits(db, ids, 'held');
      await queryRows(
        db,
        `UPDATE orders SET status = 'expired', reason = 'hold_expired', updated_at = now() WHERE order_id = ANY($1::uuid[])`,
        [ids],
      );
      for (const o of due) await emitOrder(db, 'order.expired', o);
      return due.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  InputError,
  NotFoundError,
  queryOne,
  queryRows,
  type Clock,
} from '@ticketslave/common';
import { emitOrder, lockOrder, ordersOf, setOrderStatus, type OrderRow, type OrderView } from './orders';
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

interface UnitRow {
  unit_id: string;
  category_id: string;
  section: string | null;
  row_label: string | null;
  seat: number | null;
  price_minor: number;
  currency: string;
}

const UNIT_COLS = 'unit_id, category_id, section, row_label, seat, price_minor, currency';

/**
 * Holds seats for one admitted fan, all or nothing, in one transaction:
 * the event row is share-locked (a cancellation waits for holds in flight), the
 * fan's (event, user) advisory lock makes the per-user limit exact, the order's
 * UNIQUE(admission_id) makes one admission one order, and the units are claimed by
 * locking only still-available rows in sorted order. Overselling is impossible
 * because a unit changes from available to held only under its row lock.
 */
export async function createHold(tx: Transact, clock: Clock, req: HoldRequest): Promise<OrderView> {
  const orderId = await tx(async (db) => {
    const event = await queryOne<{ status: string; hold_seconds: number; per_user_limit: number }>(
      db,
      `SELECT status, hold_seconds, per_user_limit FROM events WHERE event_id = $1 FOR SHARE`,
      [req.eventId],
    );
    if (!event) throw new NotFoundError('No such event on sale.', 'event_not_found');
    if (!(SELLING_STATUSES as readonly string[]).includes(event.status))
      throw new ConflictError('This event is not on sale.', 'not_on_sale');

    const sel = req.selection;
    const wanted = 'seats' in sel ? [...new Set(sel.seats)].sort() : null;
    const quantity = wanted ? wanted.length : (sel as { quantity: number }).quantity;
    if (wanted) {
      const known = await queryRows<{ unit_id: string }>(
        db,
        `SELECT unit_id FROM units WHERE event_id = $1 AND unit_id = ANY($2::text[])`,
        [req.eventId, wanted],
      );
      if (known.length !== wanted.length) {
        const k = new Set(known.map((r) => r.unit_id));
        const unknown = wanted.filter((s) => !k.has(s));
        throw new InputError(`Unknown seats: ${unknown.slice(0, 10).join(', ')}`, [
          { path: 'body.seats', message: `not seats of this event: ${unknown.slice(0, 10).join(', ')}` },
        ]);
      }
    }

    await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `purchase:limit:${req.eventId}:${req.userId}`,
    ]);
    const owned = await queryOne<{ n: number }>(
      db,
      `SELECT count(*)::int AS n FROM units u JOIN orders o ON o.order_id = u.order_id
       WHERE o.user_id = $1 AND o.event_id = $2 AND u.event_id = $2`,
      [req.userId, req.eventId],
    );
    if ((owned?.n ?? 0) + quantity > event.per_user_limit)
      throw new ConflictError(
        `You can buy at most ${event.per_user_limit} tickets for this event (you have ${owned?.n ?? 0}).`,
        'limit_exceeded',
        { limit: event.per_user_limit, owned: owned?.n ?? 0 },
      );

    const now = clock.now();
    const expiresAt = new Date(now.getTime() + event.hold_seconds * 1000);
    const id = randomUUID();
    const inserted = await queryRows(
      db,
      `INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending_payment', 0, 'XXX', $6, $7)
       ON CONFLICT (admission_id) DO NOTHING RETURNING order_id`,
      [id, req.eventId, req.userId, req.email, req.admissionId, now, expiresAt],
    );
    if (inserted.length === 0)
      throw new ConflictError('This admission was already used for an order.', 'admission_used');

    let units: UnitRow[];
    if (wanted) {
      // ORDER BY runs below the row locks, so rows lock in sorted order; a row that
      // stopped being available while we waited for it is skipped by the recheck.
      units = await queryRows<UnitRow>(
        db,
        `SELECT ${UNIT_COLS} FROM units WHERE event_id = $1 AND unit_id = ANY($2::text[]) AND status = 'available'
         ORDER BY unit_id FOR UPDATE`,
        [req.eventId, wanted],
      );
      if (units.length < wanted.length) {
        const got = new Set(units.map((u) => u.unit_id));
        const taken = wanted.filter((s) => !got.has(s));
        throw new ConflictError('Some of these seats were just taken.', 'seats_taken', { taken });
      }
    } else {
      const { categoryId } = sel as { categoryId: string };
      units = await queryRows<UnitRow>(
        db,
        `SELECT ${UNIT_COLS} FROM units WHERE event_id = $1 AND category_id = $2 AND status = 'available'
         ORDER BY ordinal LIMIT $3 FOR UPDATE SKIP LOCKED`,
        [req.eventId, categoryId, quantity],
      );
      if (units.length < quantity)
        throw new ConflictError(
          units.length === 0 ? 'This category is sold out.' : `Only ${units.length} left in this category.`,
          'not_enough_available',
          { available: units.length },
        );
    }
    const currencies = new Set(units.map((u) => u.currency));
    if (currencies.size > 1)
      throw new InputError('Seats priced in different currencies cannot share an order.');
    const ids = units.map((u) => u.unit_id);
    await queryRows(
      db,
      `UPDATE units SET status = 'held', order_id = $3, change_seq = nextval('unit_change_seq')
       WHERE event_id = $1 AND unit_id = ANY($2::text[]) AND status = 'available'`,
      [req.eventId, ids, id],
    );
    await db.query(
      `INSERT INTO order_items (order_id, unit_id, category_id, section, row_label, seat, price_minor)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[])`,
      [
        id,
        ids,
        units.map((u) => u.category_id),
        units.map((u) => u.section),
        units.map((u) => u.row_label),
        units.map((u) => u.seat),
        units.map((u) => u.price_minor),
      ],
    );
    const order = await queryOne<OrderRow>(
      db,
      `UPDATE orders SET amount_minor = $2, currency = $3 WHERE order_id = $1 RETURNING *`,
      [id, units.reduce((s, u) => s + u.price_minor, 0), units[0]!.currency],
    );
    await emitOrder(db, 'order.created', order!);
    return id;
  });
  const [view] = await tx((db) => ordersOf(db, req.userId, orderId));
  return view!;
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

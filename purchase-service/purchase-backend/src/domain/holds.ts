import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  currentRequestId,
  envelope,
  InputError,
  KeyedBatcher,
  NotFoundError,
  OUTBOX_WRITE_LOCK_SQL,
  queryOne,
  queryRows,
  type AppError,
  type Clock,
  type Queryable,
} from '@ticketslave/common';
import {
  emitOrder,
  lockOrder,
  orderView,
  setOrderStatus,
  toOrderItem,
  type OrderItemRow,
  type OrderRow,
  type OrderView,
} from './orders';
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

export interface HoldDeps {
  /** Where holds run: in batches (see HoldBatches). */
  holds: HoldBatches;
  /** Called after a hold committed (wakes the outbox relay; see notifyOutbox). */
  afterCommit?: () => void;
}

const HOLD_SQL = `SELECT hold_units($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${OUTBOX_WRITE_LOCK_SQL}) AS r`;
const HOLD_BATCH_SQL = `SELECT hold_units_batch($1, $2, $3, $4, ${OUTBOX_WRITE_LOCK_SQL}) AS r`;

interface HoldRow {
  order: Omit<OrderRow, 'created_at' | 'expires_at'> & { created_at: string; expires_at: string };
  items: OrderItemRow[];
  title: string;
}

/** One hold as hold_units_batch takes it (see migration 1700000000005). */
export interface HoldCall {
  seats: string[] | null;
  category: string | null;
  quantity: number;
  user: string;
  email: string;
  admission: string;
  order: string;
  envelope: unknown;
  headers: Record<string, string>;
}
type HoldAnswer = HoldRow | { refused: Refusal };

/**
 * Batches per event in flight at once per instance, and the largest batch. One in flight
 * makes the batches as big as the load: in bench:purchase (64 requests in flight) the
 * CPU per hold request fell from purchase 0.81 + PostgreSQL 0.77 ms (a statement and a
 * commit each) to 0.41 + 0.26 ms, holds/s from 464 to 1,013 and the p99 from 136 to 69 ms.
 */
const HOLD_BATCHES_IN_FLIGHT = 1;
const MAX_HOLD_BATCH = 64;

/**
 * Runs holds in batches, per event: the holds that arrive while the event's batch is in
 * flight go together in the next one, one statement and one commit
 * (`hold_units_batch`); a lone hold goes at once. If a batch fails (an error, not a
 * refusal: refusals are answers), its holds are retried one by one with `hold_units`,
 * so one failing hold cannot fail the others of its batch.
 */
export class HoldBatches {
  private readonly batcher = new KeyedBatcher<HoldCall, HoldAnswer | { failed: unknown }>(
    (eventId, calls) => this.runBatch(eventId, calls),
    {
      maxBatch: MAX_HOLD_BATCH,
      inFlightPerKey: HOLD_BATCHES_IN_FLIGHT,
    },
  );

  constructor(
    private readonly db: Queryable,
    private readonly clock: Clock,
  ) {}

  async hold(eventId: string, call: HoldCall): Promise<HoldAnswer> {
    const answer = await this.batcher.submit(eventId, call);
    if ('failed' in answer) throw answer.failed;
    return answer;
  }

  private async runBatch(eventId: string, calls: HoldCall[]): Promise<(HoldAnswer | { failed: unknown })[]> {
    if (calls.length === 1)
      return [await this.runOne(eventId, calls[0]!).catch((failed: unknown) => ({ failed }))];
    try {
      const row = await queryOne<{ r: HoldAnswer[] }>(this.db, HOLD_BATCH_SQL, [
        eventId,
        JSON.stringify(calls),
        this.clock.now(),
        SELLING_STATUSES,
      ]);
      return row!.r;
    } catch {
      // Whatever failed rolled the batch back; each hold on its own gets its own answer.
      return Promise.all(calls.map((c) => this.runOne(eventId, c).catch((failed: unknown) => ({ failed }))));
    }
  }

  private async runOne(eventId: string, c: HoldCall): Promise<HoldAnswer> {
    const row = await queryOne<{ r: HoldAnswer }>(this.db, HOLD_SQL, [
      eventId,
      c.seats,
      c.category,
      c.quantity,
      c.user,
      c.email,
      c.admission,
      c.order,
      this.clock.now(),
      SELLING_STATUSES,
      JSON.stringify(c.envelope),
      JSON.stringify(c.headers),
    ]);
    if (!row) throw new Error('hold_units returned no row');
    return row.r;
  }
}

type Refusal =
  | { reason: 'event_not_found' | 'not_on_sale' | 'admission_used' | 'mixed_currencies' }
  | { reason: 'unknown_seats'; unknown: string[] }
  | { reason: 'limit_exceeded'; limit: number; owned: number }
  | { reason: 'seats_taken'; taken: string[] }
  | { reason: 'not_enough_available'; available: number };

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
      return new ConflictError('This admission was already used for an order.', 'admission_used');
    case 'seats_taken':
      return new ConflictError('Some of these seats were just taken.', 'seats_taken', { taken: r.taken });
    case 'not_enough_available':
      return new ConflictError(
        r.available === 0 ? 'This category is sold out.' : `Only ${r.available} left in this category.`,
        'not_enough_available',
        { available: r.available },
      );
    case 'mixed_currencies':
      return new InputError('Seats priced in different currencies cannot share an order.');
  }
}

/**
 * Holds seats for one admitted fan, all or nothing, in one statement that is its own
 * transaction: `hold_units` (migrations 1700000000002, where the locking order and the
 * all-or-nothing rule are described, and 1700000000003) checks the event and the
 * per-user limit, locks still-available units in a fixed order, writes the order, its
 * items, the held units and order.created to the outbox. One round trip; the seats' row
 * locks last only as long as that statement and its commit. A refusal has written
 * nothing and comes back as `{refused: {reason, …}}`.
 */
export async function createHold(deps: HoldDeps, req: HoldRequest): Promise<OrderView> {
  const sel = req.selection;
  const seats = 'seats' in sel ? [...new Set(sel.seats)].sort() : null;
  const category = 'seats' in sel ? null : sel;
  const orderId = randomUUID();
  // amountMinor, currency and expiresAt are provisional here: hold_units completes them.
  const env = envelope('order.created', {
    orderId,
    eventId: req.eventId,
    userId: req.userId,
    admissionId: req.admissionId,
    amountMinor: 0,
    currency: 'XXX',
    expiresAt: new Date(0).toISOString(),
  });
  const requestId = currentRequestId();
  const answer = await deps.holds.hold(req.eventId, {
    seats,
    category: category?.categoryId ?? null,
    quantity: category ? category.quantity : seats!.length,
    user: req.userId,
    email: req.email,
    admission: req.admissionId,
    order: orderId,
    envelope: env,
    headers: requestId ? { 'x-request-id': requestId } : {},
  });
  if ('refused' in answer) throw refusalError(answer.refused);
  deps.afterCommit?.();
  const { order, items, title } = answer;
  return orderView(order, title, items.map(toOrderItem));
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

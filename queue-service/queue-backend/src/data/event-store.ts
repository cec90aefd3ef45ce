import {
  assignmentsOf,
  queryOne,
  queryRows,
  type EventSnapshot,
  type Payload,
  type Queryable,
} from '@ticketslave/common';
import { inventoryState } from '../domain/admission-rules';
import { notifyFans } from './fan-signals-sql';

/**
 * Applies a feed snapshot; older versions are ignored. The sale time follows the
 * snapshot (an organiser may move it while fans wait). A live rate set by the
 * organiser here survives snapshots that do not change the rate themselves.
 */
export async function applyEventSnapshot(db: Queryable, s: EventSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO queue_events (event_id, organiser_id, snapshot_version, snapshot_rate, admit_rate_per_minute,
        max_active_shoppers, away_grace_seconds, hold_seconds, cancelled, sale_starts_at)
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (event_id) DO UPDATE SET
       organiser_id = EXCLUDED.organiser_id,
       snapshot_version = EXCLUDED.snapshot_version,
       snapshot_rate = EXCLUDED.snapshot_rate,
       admit_rate_per_minute = CASE WHEN EXCLUDED.snapshot_rate <> queue_events.snapshot_rate
         THEN EXCLUDED.snapshot_rate ELSE queue_events.admit_rate_per_minute END,
       max_active_shoppers = EXCLUDED.max_active_shoppers,
       away_grace_seconds = EXCLUDED.away_grace_seconds,
       hold_seconds = EXCLUDED.hold_seconds,
       cancelled = queue_events.cancelled OR EXCLUDED.cancelled,
       sale_starts_at = EXCLUDED.sale_starts_at,
       updated_at = now()
     WHERE queue_events.snapshot_version < EXCLUDED.snapshot_version`,
    [
      s.eventId,
      s.organiserId,
      s.version,
      s.queue.admitRatePerMinute,
      s.queue.maxActiveShoppers,
      s.queue.awayGraceSeconds,
      s.holdSeconds,
      s.status === 'cancelled',
      s.saleStartsAt,
    ],
  );
}

export async function cancelEvent(db: Queryable, eventId: string): Promise<void> {
  await db.query(`UPDATE queue_events SET cancelled = true, updated_at = now() WHERE event_id = $1`, [
    eventId,
  ]);
  await notifyFans(db, [{ t: 'cancelled', e: eventId }]);
}

/** Idempotent: a replayed batch inserts nothing (UNIQUE number and UNIQUE fan per event). */
export async function assignNumbers(db: Queryable, p: Payload<'queue.assigned'>): Promise<number> {
  const { userIds, queueNumbers } = assignmentsOf(p);
  const rows = await queryRows<{ queue_number: number }>(
    db,
    `INSERT INTO fans (event_id, user_id, queue_number, late)
     SELECT $1, u, n, $4 FROM unnest($2::text[], $3::int[]) AS a(u, n)
     ON CONFLICT DO NOTHING RETURNING queue_number`,
    [p.eventId, userIds, queueNumbers, p.late],
  );
  const max = queueNumbers.reduce((m, n) => Math.max(m, n), 0);
  await db.query(
    `INSERT INTO queue_counters (event_id, last_number) VALUES ($1, $2)
     ON CONFLICT (event_id) DO UPDATE SET last_number = GREATEST(queue_counters.last_number, EXCLUDED.last_number)`,
    [p.eventId, max],
  );
  return rows.length;
}

export async function applyInventory(db: Queryable, p: Payload<'inventory.changed'>): Promise<void> {
  const { soldOut, inCarts } = inventoryState(p);
  await db.query(
    `UPDATE queue_events SET available = $2, held = $3, sold = $4, sold_out = $5, in_carts = $6, updated_at = now()
     WHERE event_id = $1`,
    [p.eventId, p.available, p.held, p.sold, soldOut, inCarts],
  );
}

/** An order for this admission exists: the shopper keeps their slot past the admission's expiry. */
/**
 * The admission's order started: the fan shops on a slot, again if an earlier order of the
 * same admission ended (a fan may try again until the admission expires).
 */
export async function markOrderStarted(db: Queryable, admissionId: string, orderId: string): Promise<void> {
  await db.query(
    `UPDATE fans SET has_order = true, slot_released = false, current_order_id = $2 WHERE admission_id = $1`,
    [admissionId, orderId],
  );
}

/**
 * The shopper's order ended (paid, expired or cancelled): their active-shopper slot goes to
 * the next fan — unless the admission has since started a newer order (this end arrived late).
 */
export async function releaseSlot(db: Queryable, admissionId: string, orderId: string): Promise<void> {
  await db.query(
    `UPDATE fans SET slot_released = true
     WHERE admission_id = $1 AND (current_order_id IS NULL OR current_order_id = $2)`,
    [admissionId, orderId],
  );
}

export interface EventRow {
  event_id: string;
  organiser_id: string;
  admit_rate_per_minute: number;
  max_active_shoppers: number;
  away_grace_seconds: number;
  hold_seconds: number;
  serving: number;
  paused: boolean;
  in_carts: boolean;
  sold_out: boolean;
  cancelled: boolean;
  available: number | null;
  measured_rate: number;
  last_number: number;
  /** Null when no snapshot has said (rows from before the column existed). */
  sale_starts_at: Date | null;
}

export const findEvent = (db: Queryable, eventId: string): Promise<EventRow | undefined> =>
  queryOne<EventRow>(
    db,
    `SELECT e.*, COALESCE(c.last_number, 0) AS last_number
     FROM queue_events e LEFT JOIN queue_counters c USING (event_id) WHERE e.event_id = $1`,
    [eventId],
  );

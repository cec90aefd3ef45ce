import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
import type { OrderRow } from './orders';

/** What a hold asks for, after validation: sorted distinct seats, or a quantity of a category. */
export type Claim = { seats: string[] } | { categoryId: string; quantity: number };

export interface ClaimOrder {
  orderId: string;
  eventId: string;
  userId: string;
  email: string;
  admissionId: string;
  perUserLimit: number;
  createdAt: Date;
  expiresAt: Date;
}

export interface ClaimedItem {
  unit_id: string;
  category_id: string;
  section: string | null;
  row_label: string | null;
  seat: number | null;
  price_minor: number;
}

export interface ClaimResult {
  /** How many of the asked seats exist (always the quantity for a category). */
  known: number;
  /** Units the fan already holds or bought for this event. */
  owned: number;
  /** The admission already has an order. */
  used: boolean;
  /** Units locked for this hold: all of them, or fewer when some were taken or ran out. */
  claimedIds: string[];
  currencies: number;
  /** Present only when the whole hold was written: order, held units and items. */
  order: OrderRow | null;
  items: ClaimedItem[];
}

// The gate is evaluated once (an InitPlan) before any row is locked: unknown seats, a
// used admission or a fan over the limit lock nothing. It reads the snapshot of this
// statement, taken after the caller's (event, user) advisory lock was granted, so it
// sees every earlier hold of the fan.
const GATE = `
  gate AS MATERIALIZED (
    SELECT
      (SELECT count(*)::int FROM units u JOIN orders o ON o.order_id = u.order_id
        WHERE o.user_id = $3 AND o.event_id = $1 AND u.event_id = $1) AS owned,
      EXISTS (SELECT 1 FROM orders WHERE admission_id = $4) AS used,
      %KNOWN% AS known
  )`;
const GATE_OK = `(SELECT g.known = $9 AND NOT g.used AND g.owned + $9 <= $10 FROM gate g)`;
const UNIT_COLS = 'unit_id, category_id, section, row_label, seat, price_minor, currency';

// Chosen seats: rows lock in unit_id order (the Sort runs below LockRows), and a row
// that stopped being available while we waited for its lock fails the recheck of
// `status = 'available'` and is left out. That recheck is what makes overselling
// impossible. Best available: the first free places by ordinal, skipping rows another
// hold has locked.
const CLAIM_SEATS = `
  claim AS MATERIALIZED (
    SELECT ${UNIT_COLS} FROM units
    WHERE event_id = $1 AND unit_id = ANY($2::text[]) AND status = 'available' AND ${GATE_OK}
    ORDER BY unit_id FOR UPDATE
  )`;
const CLAIM_CATEGORY = `
  claim AS MATERIALIZED (
    SELECT ${UNIT_COLS} FROM units
    WHERE event_id = $1 AND category_id = $2 AND status = 'available' AND ${GATE_OK}
    ORDER BY ordinal LIMIT $9 FOR UPDATE SKIP LOCKED
  )`;

// All or nothing inside one statement: the order row exists only when every asked unit
// was claimed in one currency (HAVING), and the units and items are written only for
// that order. UNIQUE(admission_id) stays the last word on one order per admission.
const WRITE = `
  ord AS (
    INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency, created_at, expires_at)
    SELECT $5::uuid, $1::uuid, $3::text, $6::text, $4::text, 'pending_payment', sum(price_minor), min(currency),
      $7::timestamptz, $8::timestamptz
    FROM claim HAVING count(*) = $9 AND count(DISTINCT currency) = 1
    ON CONFLICT (admission_id) DO NOTHING
    RETURNING *
  ),
  held AS (
    UPDATE units u SET status = 'held', order_id = ord.order_id, change_seq = nextval('unit_change_seq')
    FROM ord, claim c WHERE u.event_id = $1 AND u.unit_id = c.unit_id
    RETURNING u.unit_id
  ),
  items AS (
    INSERT INTO order_items (order_id, unit_id, category_id, section, row_label, seat, price_minor)
    SELECT ord.order_id, c.unit_id, c.category_id, c.section, c.row_label, c.seat, c.price_minor
    FROM ord, claim c
    RETURNING unit_id, category_id, section, row_label, seat, price_minor
  )
  SELECT g.known, g.owned, g.used,
    coalesce((SELECT array_agg(unit_id ORDER BY unit_id) FROM claim), '{}') AS claimed_ids,
    (SELECT count(DISTINCT currency)::int FROM claim) AS currencies,
    (SELECT count(*)::int FROM held) AS held,
    (SELECT to_jsonb(ord) FROM ord) AS "order",
    coalesce((SELECT jsonb_agg(items ORDER BY unit_id) FROM items), '[]') AS items
  FROM gate g`;

const SEATS_SQL = `WITH ${GATE.replace('%KNOWN%', '(SELECT count(*)::int FROM units WHERE event_id = $1 AND unit_id = ANY($2::text[]))')},
  ${CLAIM_SEATS},${WRITE}`;
const CATEGORY_SQL = `WITH ${GATE.replace('%KNOWN%', '$9::int')},
  ${CLAIM_CATEGORY},${WRITE}`;

/**
 * Checks, locks and writes a hold in one statement (one round trip), so the seats' row
 * locks are held only from here to the caller's commit. The caller must hold the
 * fan's (event, user) advisory lock, taken in an earlier statement.
 */
export async function claimUnits(db: Queryable, o: ClaimOrder, c: Claim): Promise<ClaimResult> {
  const seats = 'seats' in c;
  const quantity = seats ? c.seats.length : c.quantity;
  const row = await queryOne<{
    known: number;
    owned: number;
    used: boolean;
    claimed_ids: string[];
    currencies: number;
    held: number;
    order: (Omit<OrderRow, 'created_at' | 'expires_at'> & { created_at: string; expires_at: string }) | null;
    items: ClaimedItem[];
  }>(db, seats ? SEATS_SQL : CATEGORY_SQL, [
    o.eventId,
    seats ? c.seats : c.categoryId,
    o.userId,
    o.admissionId,
    o.orderId,
    o.email,
    o.createdAt,
    o.expiresAt,
    quantity,
    o.perUserLimit,
  ]);
  if (!row) throw new Error('hold claim returned no row');
  const order = row.order
    ? { ...row.order, created_at: new Date(row.order.created_at), expires_at: new Date(row.order.expires_at) }
    : null;
  if (order && row.held !== quantity)
    throw new Error(`hold claimed ${quantity} units but updated ${row.held}`);
  return {
    known: row.known,
    owned: row.owned,
    used: row.used,
    claimedIds: row.claimed_ids,
    currencies: row.currencies,
    order,
    items: row.items,
  };
}

/** The asked seats this event does not have (only on the error path). */
export async function unknownSeats(db: Queryable, eventId: string, seats: string[]): Promise<string[]> {
  const known = await queryRows<{ unit_id: string }>(
    db,
    `SELECT unit_id FROM units WHERE event_id = $1 AND unit_id = ANY($2::text[])`,
    [eventId, seats],
  );
  const k = new Set(known.map((r) => r.unit_id));
  return seats.filter((s) => !k.has(s));
}

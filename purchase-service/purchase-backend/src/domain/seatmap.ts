import { NotFoundError, queryOne, queryRows, type Queryable } from '@ticketslave/common';

export type UnitState = 'available' | 'held' | 'sold';
/** One character per seat in a row string: compact enough for 50,000 seats in one answer. */
export const STATE_CHAR: Record<UnitState, string> = { available: 'a', held: 'h', sold: 's' };

export interface SeatMap {
  eventId: string;
  title: string;
  venue: string;
  status: string;
  holdSeconds: number;
  perUserLimit: number;
  /** Highest change sequence included; live updates continue from here. */
  version: number;
  categories: {
    id: string;
    name: string;
    kind: 'reserved' | 'ga';
    priceMinor: number;
    currency: string;
    capacity: number;
    available: number;
    held: number;
    sold: number;
  }[];
  /**
   * Reserved seating: `seats` holds one state character per seat (`a` available,
   * `h` held, `s` sold), seat n at index n−1; the unit id is `<category>/<section>/<row>/<n>`.
   */
  sections: { categoryId: string; name: string; rows: { label: string; seats: string }[] }[];
}

/**
 * The whole map in one query that Postgres aggregates per row of seats (a 50,000-seat
 * venue comes back as a few hundred rows, not 50,000), and one query per event at a
 * time: requests arriving while a read is in flight share its answer.
 */
export async function seatMap(db: Queryable, eventId: string): Promise<SeatMap> {
  let pending = inFlight.get(eventId);
  if (!pending) {
    pending = readSeatMap(db, eventId).finally(() => inFlight.delete(eventId));
    inFlight.set(eventId, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<SeatMap>>();

async function readSeatMap(db: Queryable, eventId: string): Promise<SeatMap> {
  const event = await queryOne<{
    title: string;
    venue: string;
    status: string;
    hold_seconds: number;
    per_user_limit: number;
    categories: { id: string; name: string; kind: 'reserved' | 'ga'; priceMinor: number; currency: string }[];
  }>(db, `SELECT * FROM events WHERE event_id = $1`, [eventId]);
  if (!event) throw new NotFoundError('No such event on sale.', 'event_not_found');
  // One row per (category, section, row); general admission comes back as one row per
  // category with null section. `seats` is in seat order; `positions` only when a row
  // has gaps (a seat removed from the layout), so the gaps can be filled in.
  const rows = await queryRows<{
    category_id: string;
    section: string | null;
    row_label: string | null;
    seats: string;
    positions: number[] | null;
    available: number;
    held: number;
    sold: number;
    version: string;
  }>(
    db,
    `SELECT category_id, section, row_label,
            string_agg(CASE status WHEN 'available' THEN 'a' WHEN 'held' THEN 'h' ELSE 's' END, '' ORDER BY seat) AS seats,
            CASE WHEN section IS NULL OR count(*) = max(seat) THEN NULL ELSE array_agg(seat ORDER BY seat) END AS positions,
            count(*) FILTER (WHERE status = 'available')::int AS available,
            count(*) FILTER (WHERE status = 'held')::int AS held,
            count(*) FILTER (WHERE status = 'sold')::int AS sold,
            max(change_seq) AS version
       FROM units WHERE event_id = $1
      GROUP BY category_id, section, row_label
      ORDER BY min(ordinal)`,
    [eventId],
  );
  const counts = new Map<string, { capacity: number; available: number; held: number; sold: number }>();
  const sections: SeatMap['sections'] = [];
  const sectionIndex = new Map<string, SeatMap['sections'][number]>();
  let version = 0;
  for (const r of rows) {
    version = Math.max(version, Number(r.version));
    const c = counts.get(r.category_id) ?? { capacity: 0, available: 0, held: 0, sold: 0 };
    c.available += r.available;
    c.held += r.held;
    c.sold += r.sold;
    c.capacity += r.available + r.held + r.sold;
    counts.set(r.category_id, c);
    if (r.section === null || r.row_label === null) continue;
    const sKey = `${r.category_id}/${r.section}`;
    let section = sectionIndex.get(sKey);
    if (!section) {
      section = { categoryId: r.category_id, name: r.section, rows: [] };
      sectionIndex.set(sKey, section);
      sections.push(section);
    }
    let seats = r.seats;
    if (r.positions) {
      // A seat missing from a row (removed from the layout) shows as sold: not pickable.
      const chars = Array.from({ length: Math.max(...r.positions) }, () => STATE_CHAR.sold);
      r.positions.forEach((n, i) => (chars[n - 1] = r.seats[i]!));
      seats = chars.join('');
    }
    section.rows.push({ label: r.row_label, seats });
  }
  return {
    eventId,
    title: event.title,
    venue: event.venue,
    status: event.status,
    holdSeconds: event.hold_seconds,
    perUserLimit: event.per_user_limit,
    version,
    categories: event.categories.map((c) => ({
      ...c,
      ...(counts.get(c.id) ?? { capacity: 0, available: 0, held: 0, sold: 0 }),
    })),
    sections,
  };
}

/** Unit changes after `afterSeq` (for live seat maps). */
export async function unitChangesSince(
  db: Queryable,
  eventId: string,
  afterSeq: number,
  limit: number | null = 20000,
): Promise<{ unitId: string; state: UnitState; seq: number }[]> {
  const rows = await queryRows<{ unit_id: string; status: UnitState; change_seq: string }>(
    db,
    `SELECT unit_id, status, change_seq FROM units WHERE event_id = $1 AND change_seq > $2 ORDER BY change_seq LIMIT $3`,
    [eventId, afterSeq, limit],
  );
  return rows.map((r) => ({ unitId: r.unit_id, state: r.status, seq: Number(r.change_seq) }));
}

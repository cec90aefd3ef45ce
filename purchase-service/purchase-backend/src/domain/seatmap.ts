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

export async function seatMap(db: Queryable, eventId: string): Promise<SeatMap> {
  const event = await queryOne<{
    title: string;
    venue: string;
    status: string;
    hold_seconds: number;
    per_user_limit: number;
    categories: { id: string; name: string; kind: 'reserved' | 'ga'; priceMinor: number; currency: string }[];
  }>(db, `SELECT * FROM events WHERE event_id = $1`, [eventId]);
  if (!event) throw new NotFoundError('No such event on sale.', 'event_not_found');
  const units = await queryRows<{
    category_id: string;
    section: string | null;
    row_label: string | null;
    seat: number | null;
    status: UnitState;
    change_seq: string;
  }>(
    db,
    `SELECT category_id, section, row_label, seat, status, change_seq FROM units WHERE event_id = $1 ORDER BY ordinal`,
    [eventId],
  );
  const counts = new Map<string, { capacity: number; available: number; held: number; sold: number }>();
  const sections: SeatMap['sections'] = [];
  const sectionIndex = new Map<string, SeatMap['sections'][number]>();
  const rowIndex = new Map<string, { label: string; chars: string[] }>();
  let version = 0;
  for (const u of units) {
    version = Math.max(version, Number(u.change_seq));
    const c = counts.get(u.category_id) ?? { capacity: 0, available: 0, held: 0, sold: 0 };
    c.capacity++;
    c[u.status]++;
    counts.set(u.category_id, c);
    if (u.section === null || u.row_label === null || u.seat === null) continue;
    const sKey = `${u.category_id}/${u.section}`;
    let section = sectionIndex.get(sKey);
    if (!section) {
      section = { categoryId: u.category_id, name: u.section, rows: [] };
      sectionIndex.set(sKey, section);
      sections.push(section);
    }
    const rKey = `${sKey}/${u.row_label}`;
    let row = rowIndex.get(rKey);
    if (!row) {
      row = { label: u.row_label, chars: [] };
      rowIndex.set(rKey, row);
      section.rows.push(row as unknown as { label: string; seats: string });
    }
    row.chars[u.seat - 1] = STATE_CHAR[u.status];
  }
  for (const section of sections)
    section.rows = section.rows.map((r) => {
      const raw = r as unknown as { label: string; chars: string[] };
      // A seat missing from a row (removed from the layout) shows as sold: not pickable.
      return { label: raw.label, seats: Array.from(raw.chars, (ch) => ch ?? 's').join('') };
    });
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

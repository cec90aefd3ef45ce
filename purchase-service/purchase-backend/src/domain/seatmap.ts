import { NotFoundError } from '@ticketslave/common';
import type { PurchaseStore, UnitState } from './ports';

export type { UnitState };
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
export async function seatMap(s: PurchaseStore, eventId: string): Promise<SeatMap> {
  let pending = inFlight.get(eventId);
  if (!pending) {
    pending = readSeatMap(s, eventId).finally(() => inFlight.delete(eventId));
    inFlight.set(eventId, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<SeatMap>>();

async function readSeatMap(s: PurchaseStore, eventId: string): Promise<SeatMap> {
  const event = await s.events.get(eventId);
  if (!event) throw new NotFoundError('No such event on sale.', 'event_not_found');
  const rows = await s.units.seatRows(eventId);
  const counts = new Map<string, { capacity: number; available: number; held: number; sold: number }>();
  const sections: SeatMap['sections'] = [];
  const sectionIndex = new Map<string, SeatMap['sections'][number]>();
  let version = 0;
  for (const r of rows) {
    version = Math.max(version, r.version);
    const c = counts.get(r.categoryId) ?? { capacity: 0, available: 0, held: 0, sold: 0 };
    c.available += r.available;
    c.held += r.held;
    c.sold += r.sold;
    c.capacity += r.available + r.held + r.sold;
    counts.set(r.categoryId, c);
    if (r.section === null || r.row === null) continue;
    const sKey = `${r.categoryId}/${r.section}`;
    let section = sectionIndex.get(sKey);
    if (!section) {
      section = { categoryId: r.categoryId, name: r.section, rows: [] };
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
    section.rows.push({ label: r.row, seats });
  }
  return {
    eventId,
    title: event.title,
    venue: event.venue,
    status: event.status,
    holdSeconds: event.holdSeconds,
    perUserLimit: event.perUserLimit,
    version,
    categories: event.categories.map((c) => ({
      ...c,
      ...(counts.get(c.id) ?? { capacity: 0, available: 0, held: 0, sold: 0 }),
    })),
    sections,
  };
}

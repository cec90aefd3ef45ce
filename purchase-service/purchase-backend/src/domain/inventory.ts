import { expandCategory, type EventSnapshot } from '@ticketslave/common';
import type { InventoryCounts, PurchaseStore } from './ports';

export type { InventoryCounts };

/**
 * Applies a feed snapshot: the event's sale terms and one unit per sellable unit.
 * Older snapshots (redelivered or reordered) are ignored by version, and a cancelled
 * event stays cancelled whatever a late snapshot says. Held and sold units are never
 * touched, so a layout edit during a sale cannot free or reprice a seat somebody is
 * paying for; units dropped from the layout disappear unless somebody holds or bought
 * them. Returns false when the snapshot was stale.
 */
export async function applySnapshot(s: PurchaseStore, snap: EventSnapshot): Promise<boolean> {
  if (!(await s.events.upsert(snap))) return false;
  const units = snap.categories.flatMap((c) =>
    expandCategory(c).map((u) => ({ ...u, priceMinor: c.priceMinor, currency: c.currency })),
  );
  await s.units.setLayout(
    snap.eventId,
    units.map((u, ordinal) => ({ ...u, ordinal })),
  );
  return true;
}

/** Available, held and sold units of an event, in total and per category. */
export async function inventoryCounts(s: PurchaseStore, eventId: string): Promise<InventoryCounts> {
  const totals = { available: 0, held: 0, sold: 0 };
  const byCat = new Map<string, InventoryCounts['byCategory'][number]>();
  for (const r of await s.units.counts(eventId)) {
    totals[r.status] += r.n;
    const c = byCat.get(r.categoryId) ?? { categoryId: r.categoryId, available: 0, held: 0, sold: 0 };
    c[r.status] += r.n;
    byCat.set(r.categoryId, c);
  }
  return { ...totals, byCategory: [...byCat.values()] };
}

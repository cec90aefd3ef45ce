import { rowLabels } from '@ticketslave/contracts';
import type { Category } from './kafka/messages';

// Row labels are shared with the event editor in the browser: they live in the isomorphic contracts.
export { rowLabels };

export interface SellableUnit {
  /** Stable id, unique per event: `<category>/<section>/<row>/<seat>` or `<category>/ga/<n>`. */
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
}

/** Expands a category into its sellable units (reserved seats or general-admission places). */
export function expandCategory(category: Category): SellableUnit[] {
  if (category.kind === 'ga') {
    return Array.from({ length: category.capacity }, (_, i) => ({
      unitId: `${category.id}/ga/${i + 1}`,
      categoryId: category.id,
      section: null,
      row: null,
      seat: null,
    }));
  }
  const units: SellableUnit[] = [];
  for (const section of category.sections) {
    for (const range of section.rows) {
      for (const row of rowLabels(range.from, range.to)) {
        for (let seat = 1; seat <= range.seats; seat++) {
          units.push({
            unitId: `${category.id}/${section.name}/${row}/${seat}`,
            categoryId: category.id,
            section: section.name,
            row,
            seat,
          });
        }
      }
    }
  }
  return units;
}

export function categoryCapacity(category: Category): number {
  if (category.kind === 'ga') return category.capacity;
  return category.sections.reduce(
    (sum, s) => sum + s.rows.reduce((n, r) => n + rowLabels(r.from, r.to).length * r.seats, 0),
    0,
  );
}

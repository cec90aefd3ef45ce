import type { Category } from './kafka/messages';

/** Row labels from `from` to `to` inclusive: letters (A…Z, AA…) or numbers (1…). */
export function rowLabels(from: string, to?: string): string[] {
  if (!to || to === from) return [from];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from);
    const b = Number(to);
    if (b < a) throw new Error(`row range ${from}–${to} runs backwards`);
    return Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
  }
  if (/^[A-Z]+$/.test(from) && /^[A-Z]+$/.test(to)) {
    const toNum = (s: string) => [...s].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0);
    const toLabel = (n: number) => {
      let s = '';
      while (n > 0) {
        const r = (n - 1) % 26;
        s = String.fromCharCode(65 + r) + s;
        n = Math.floor((n - 1) / 26);
      }
      return s;
    };
    const a = toNum(from);
    const b = toNum(to);
    if (b < a) throw new Error(`row range ${from}–${to} runs backwards`);
    return Array.from({ length: b - a + 1 }, (_, i) => toLabel(a + i));
  }
  throw new Error(`row range ${from}–${to} mixes letters and numbers or uses lowercase`);
}

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

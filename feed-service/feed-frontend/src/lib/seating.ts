import type { Section } from './types';

/** Row labels of a range, as the server expands them (A…Z, AA…, or numbers). */
export function rowLabels(from: string, to?: string): string[] {
  if (!to || to === from) return [from];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from);
    const b = Number(to);
    return b < a ? [] : Array.from({ length: Math.min(b - a + 1, 200) }, (_, i) => String(a + i));
  }
  if (/^[A-Z]+$/.test(from) && /^[A-Z]+$/.test(to)) {
    const num = (s: string) => [...s].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0);
    const label = (n: number) => {
      let s = '';
      while (n > 0) {
        const r = (n - 1) % 26;
        s = String.fromCharCode(65 + r) + s;
        n = Math.floor((n - 1) / 26);
      }
      return s;
    };
    const a = num(from);
    const b = num(to);
    return b < a ? [] : Array.from({ length: Math.min(b - a + 1, 200) }, (_, i) => label(a + i));
  }
  return [];
}

export const sectionSeats = (s: Section) =>
  s.rows.reduce((n, r) => n + rowLabels(r.from, r.to).length * r.seats, 0);

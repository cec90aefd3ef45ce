/**
 * Row labels of a range, from `from` to `to` inclusive: letters (A…Z, AA…) or numbers
 * (1…). The server expands seat maps with it; the event editor previews with it.
 */
export function rowLabels(from: string, to?: string): string[] {
  if (!to || to === from) return [from];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const a = Number(from);
    const b = Number(to);
    if (b < a) throw new Error(`row range ${from}–${to} runs backwards`);
    return Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
  }
  if (/^[A-Z]+$/.test(from) && /^[A-Z]+$/.test(to)) {
    const a = letterNumber(from);
    const b = letterNumber(to);
    if (b < a) throw new Error(`row range ${from}–${to} runs backwards`);
    return Array.from({ length: b - a + 1 }, (_, i) => letterLabel(a + i));
  }
  throw new Error(`row range ${from}–${to} mixes letters and numbers or uses lowercase`);
}

/** `rowLabels` for a range still being typed: none instead of an error. */
export function rowLabelsOrNone(from: string, to?: string): string[] {
  try {
    return rowLabels(from, to);
  } catch {
    return [];
  }
}

/** A → 1, Z → 26, AA → 27. */
const letterNumber = (s: string) => [...s].reduce((n, c) => n * 26 + (c.charCodeAt(0) - 64), 0);

function letterLabel(n: number): string {
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

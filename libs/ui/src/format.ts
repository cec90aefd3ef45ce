/**
 * Display formatting in the user's locale. Amounts travel as integer minor units
 * (cents) with an ISO 4217 currency; times as ISO 8601 strings.
 */

import { activeFormatLocale } from './i18n/active-locale';

type DateInput = Date | string | number;

const toDate = (d: DateInput): Date => (d instanceof Date ? d : new Date(d));

const moneyFormats = new Map<string, Intl.NumberFormat>();

function moneyFormat(currency: string, locale?: string): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}`;
  let f = moneyFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency: currency.toUpperCase() });
    moneyFormats.set(key, f);
  }
  return f;
}

/** `formatMoney(4950, 'EUR')` → "€49.50"; JPY has no minor unit, KWD has three. */
export function formatMoney(minorUnits: number, currency: string, locale: string | undefined = activeFormatLocale()): string {
  const f = moneyFormat(currency, locale);
  const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
  return f.format(minorUnits / 10 ** digits);
}

/** How many decimals a currency has: 2 for EUR, 0 for JPY, 3 for KWD. */
export function currencyDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Minor units as the plain amount an organiser types: 4950 EUR → "49.50", 4950 JPY → "4950". */
export function toMajorInput(minorUnits: number, currency: string): string {
  const digits = currencyDigits(currency);
  return (minorUnits / 10 ** digits).toFixed(digits);
}

/**
 * A typed amount in the currency's major unit → minor units, or an error to show next to
 * the field: "49.5" EUR → 4950, "49,50" → 4950, "4950" JPY → 4950, "49.5" JPY → error.
 */
export function parseMajorInput(text: string, currency: string): { minor: number } | { error: string } {
  const digits = currencyDigits(currency);
  const t = text.trim().replace(/[\s\u00a0']/g, '').replace(',', '.');
  const pattern = digits ? new RegExp(`^\\d+(\\.\\d{0,${digits}})?$`) : /^\d+$/;
  if (!pattern.test(t))
    return { error: digits ? `an amount like ${(12.5).toFixed(digits)}` : `a whole amount (${currency} has no cents)` };
  const [whole, frac = ''] = t.split('.');
  const minor = Number(whole) * 10 ** digits + Number((frac + '0'.repeat(digits)).slice(0, digits) || 0);
  if (!Number.isSafeInteger(minor) || minor > 100_000_000) return { error: 'too large' };
  return { minor };
}

/** "Sat, 14 Mar 2026" */
export function formatDate(d: DateInput, locale: string | undefined = activeFormatLocale()): string {
  return toDate(d).toLocaleDateString(locale, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
}

/** "19:30" / "7:30 PM" */
export function formatTime(d: DateInput, locale: string | undefined = activeFormatLocale()): string {
  return toDate(d).toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' });
}

/** "Sat, 14 Mar 2026, 19:30" */
export function formatDateTime(d: DateInput, locale: string | undefined = activeFormatLocale()): string {
  return toDate(d).toLocaleString(locale, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
  });
}

function unit(value: number, unitName: 'second' | 'minute' | 'hour' | 'day', locale: string | undefined = activeFormatLocale()): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: unitName, unitDisplay: 'long' }).format(value);
}

/**
 * A rough, honest duration for estimates: "less than a minute", "about 3 minutes",
 * "about 2 hours", "about 4 days".
 */
export function formatApproxDuration(ms: number, locale: string | undefined = activeFormatLocale()): string {
  // The two phrases around the unit are the only words here; Intl writes the unit itself.
  const german = (locale ?? '').toLowerCase().startsWith('de');
  const about = (text: string) => (german ? `etwa ${text}` : `about ${text}`);
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 45) return german ? 'weniger als eine Minute' : 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return about(unit(Math.max(1, minutes), 'minute', locale));
  const hours = Math.round(minutes / 60);
  if (hours < 24) return about(unit(hours, 'hour', locale));
  return about(unit(Math.round(hours / 24), 'day', locale));
}

/** "in 3 minutes", "2 hours ago" — relative to now. */
export function formatRelativeTime(d: DateInput, locale: string | undefined = activeFormatLocale(), now: number = Date.now()): string {
  const diff = toDate(d).getTime() - now;
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const abs = Math.abs(diff) / 1000;
  if (abs < 60) return rtf.format(Math.round(diff / 1000), 'second');
  if (abs < 3600) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round(diff / 86_400_000), 'day');
}

/** Clock face for countdowns: "4:05", "1:04:05", "2d 03:04:05" ("2 T 03:04:05" in German). */
export function formatClock(ms: number, locale: string | undefined = activeFormatLocale()): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${new Intl.NumberFormat(locale, { style: 'unit', unit: 'day', unitDisplay: 'narrow' }).format(d)} ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${m}:${pad(s)}`;
}

/** Spoken form of a duration for screen readers: "1 hour 4 minutes 5 seconds". */
export function formatDurationLong(ms: number, locale: string | undefined = activeFormatLocale()): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const parts: string[] = [];
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d) parts.push(unit(d, 'day', locale));
  if (h) parts.push(unit(h, 'hour', locale));
  if (m) parts.push(unit(m, 'minute', locale));
  if (s || parts.length === 0) parts.push(unit(s, 'second', locale));
  return parts.join(' ');
}

/** "1,234,567" */
export function formatNumber(n: number, locale: string | undefined = activeFormatLocale()): string {
  return new Intl.NumberFormat(locale).format(n);
}

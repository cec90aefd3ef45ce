/**
 * Times in a venue's time zone. An event happens at a place, so its times are shown on
 * the venue's clock and labelled with the zone ("19:30 CET"), whatever the viewer's own
 * zone; an organiser types them on that clock too. Instants travel as ISO 8601 (UTC).
 */

import { activeFormatLocale } from './i18n/active-locale';

type DateInput = Date | string | number;
const toDate = (d: DateInput): Date => (d instanceof Date ? d : new Date(d));

const wallFormats = new Map<string, Intl.DateTimeFormat>();

function wallFormat(timeZone: string): Intl.DateTimeFormat {
  let f = wallFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallFormats.set(timeZone, f);
  }
  return f;
}

/** The wall-clock reading in `timeZone` at `ms`, as if it were UTC (ms since epoch). */
function wallClockMs(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of wallFormat(timeZone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** How far `timeZone`'s clock is ahead of UTC at the instant `ms` (ms; negative west of Greenwich). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  return wallClockMs(Math.floor(ms / 1000) * 1000, timeZone) - Math.floor(ms / 1000) * 1000;
}

/**
 * `2026-03-14T19:30` read on `timeZone`'s clock → the instant, as ISO. A time that does not
 * exist (skipped by a spring-forward) moves forward by the gap; an ambiguous one (repeated
 * in autumn) is its first occurrence. Empty input → null.
 */
export function fromZonedInput(local: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return null;
  const asUtc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  // Offsets never change twice within a day: trying the offsets of the day before and the
  // day after finds every instant that reads `local` (two in an autumn overlap, none in a gap).
  const before = asUtc - zoneOffsetMs(asUtc - 86_400_000, timeZone);
  const after = asUtc - zoneOffsetMs(asUtc + 86_400_000, timeZone);
  const readsLocal = [before, after].filter((t) => wallClockMs(t, timeZone) === asUtc);
  // In a gap, the offset from before the jump puts the time that far past it, as clocks do.
  const at = readsLocal.length ? Math.min(...readsLocal) : before;
  return new Date(at).toISOString();
}

/** The instant as `YYYY-MM-DDTHH:mm` on `timeZone`'s clock (seconds kept when there are any), for a datetime-local input. */
export function toZonedInput(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const wall = new Date(wallClockMs(ms, timeZone)).toISOString();
  return wall.slice(0, wall.slice(17, 19) === '00' ? 16 : 19);
}

/** The zone's short name at that instant: "CET", "GMT+9", "UTC". */
export function zoneLabel(d: DateInput, timeZone: string, locale: string | undefined = activeFormatLocale()): string {
  const part = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
    .formatToParts(toDate(d))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** "Sat, 14 Mar 2026, 19:30 CET" on the venue's clock. */
export function formatZonedDateTime(d: DateInput, timeZone: string, locale: string | undefined = activeFormatLocale()): string {
  return toDate(d).toLocaleString(locale, {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/** "19:30 CET" on the venue's clock. */
export function formatZonedTime(d: DateInput, timeZone: string, locale: string | undefined = activeFormatLocale()): string {
  return toDate(d).toLocaleTimeString(locale, {
    timeZone,
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/** The zones a venue can be in (the runtime's IANA list, UTC first). */
export function timeZoneNames(): string[] {
  const names = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...names.filter((n) => n !== 'UTC')];
}

/** The viewer's own zone, a sensible default for a new venue. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

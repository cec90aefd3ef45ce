/**
 * How a ticket names itself to people, the same in an e-mail, a PDF and a Wallet pass: the
 * event's time in the venue's zone, the place, and the short reference door staff can look up.
 */

/**
 * A ticket's short reference for people: the first 8 characters of its id, uppercased.
 * The organiser's order search finds the ticket by it; the QR code is what gets scanned.
 */
export const ticketRef = (ticketId: string): string => ticketId.replace(/-/g, '').slice(0, 8).toUpperCase();

/**
 * One formatter per style and zone, made once: building an `Intl.DateTimeFormat` costs far
 * more than formatting with it (a profile of the 20,000-fan sale had purchase spend ~1.2 s
 * making one per confirmation mail; issue 21).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
export function zonedFormat(style: 'long' | 'time' | 'short-time', timeZone: string): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions =
      style === 'long'
        ? {
            weekday: 'long',
            day: 'numeric',
            month: 'long',
            year: 'numeric',
            hour: '2-digit',
            minute: '2-digit',
            timeZoneName: 'short',
          }
        : style === 'time'
          ? { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }
          : { timeStyle: 'short' };
    f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone });
    formatters.set(key, f);
  }
  return f;
}

/** When the event starts, in the venue's time zone, with the zone shown: "Saturday, 9 January 2027 at 20:00 CET (Europe/Berlin)". */
export function eventWhen(startsAt: Date, timeZone: string): string {
  const local = zonedFormat('long', timeZone).format(startsAt);
  return timeZone === 'UTC' ? local : `${local} (${timeZone})`;
}

/** A time of day in the venue's zone with the zone's short name: "19:00 CET". */
export const timeOfDay = (at: Date, timeZone: string): string => zonedFormat('time', timeZone).format(at);

/** What a ticket's place is called: "Main, row E, seat 1", "Standing (general admission)". */
export function placeName(p: {
  section: string | null;
  row: string | null;
  seat: number | null;
  categoryName: string;
}): string {
  return p.section ? `${p.section}, row ${p.row}, seat ${p.seat}` : `${p.categoryName} (general admission)`;
}

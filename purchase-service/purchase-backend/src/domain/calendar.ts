import { createEvent } from 'ics';
import type { SaleEvent } from './ports';
import { zonedFormat } from './ticket-text';

/**
 * Calendar entries have an end; our events only a start (and doors). An evening's show is
 * taken as three hours, which is what calendars show until the organiser's data says more.
 */
export const ASSUMED_DURATION_HOURS = 3;

const at = (d: Date, zone: string) => zonedFormat('short-time', zone).format(d);

/**
 * The event as an iCalendar file (RFC 5545): the start in UTC (calendars show it in the
 * viewer's zone), the venue, when the doors open in the venue's zone, and a link to the
 * fan's tickets. The UID is the event's, so importing it again updates the entry, and a
 * cancelled event comes out as STATUS:CANCELLED.
 */
export function eventCalendar(event: SaleEvent, publicBaseUrl: string): string {
  const tickets = new URL('/purchase/tickets', publicBaseUrl).href;
  const doors = event.doorsAt ? `Doors open ${at(event.doorsAt, event.timeZone)} (${event.timeZone}). ` : '';
  const { error, value } = createEvent({
    uid: `${event.eventId}@ticketslave`,
    productId: 'ticketslave/purchase',
    title: event.title,
    location: event.venue,
    start: event.startsAt.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    duration: { hours: ASSUMED_DURATION_HOURS },
    description: `${doors}Your tickets: ${tickets}`,
    url: tickets,
    status: event.status === 'cancelled' ? 'CANCELLED' : 'CONFIRMED',
  });
  if (error || !value) throw new Error(`calendar file for ${event.eventId}: ${error?.message ?? 'empty'}`);
  return value;
}

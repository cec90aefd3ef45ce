import { requireOnEvent, type Member } from './organiser-access';
import { decimal } from './money';
import type { AttendeeExportRow, OrderExportRow, OrderLedger } from './organiser-orders';
import type { PurchaseStore } from './ports';

/** A CSV file produced as it is sent: its name and its text in chunks (one per database batch). */
export interface CsvExport {
  filename: string;
  chunks: AsyncIterable<string>;
}

/**
 * A CSV cell: quoted when it holds a comma, quote or line break; a cell a spreadsheet would
 * run as a formula (=, +, -, @ first) gets a leading apostrophe, so a fan's name cannot.
 */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  let t = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(t)) t = `'${t}`;
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

const line = (cells: (string | number | null | undefined)[]) => `${cells.map(csvCell).join(',')}\r\n`;

async function* csv<T>(
  header: string[],
  batches: AsyncIterable<T[]>,
  cells: (r: T) => (string | number | null)[],
) {
  yield line(header);
  for await (const batch of batches) {
    let chunk = '';
    for (const r of batch) chunk += line(cells(r));
    yield chunk;
  }
}

const ORDER_HEADER = [
  'order_id',
  'created_at',
  'status',
  'email',
  'name',
  'tickets',
  'categories',
  'amount',
  'refunded',
  'net',
  'currency',
  'paid_at',
  'checked_in',
];
const ATTENDEE_HEADER = [
  'ticket_id',
  'order_id',
  'email',
  'name',
  'category',
  'section',
  'row',
  'seat',
  'price',
  'currency',
  'status',
  'issued_at',
  'checked_in_at',
];

/** Every sold order of the event as CSV (owners and managers: orders.export). */
export async function exportOrders(
  s: PurchaseStore,
  ledger: OrderLedger,
  who: Member,
  eventId: string,
): Promise<CsvExport> {
  await requireOnEvent(s, who, eventId, 'orders.export');
  return {
    filename: `orders-${eventId}.csv`,
    chunks: csv(ORDER_HEADER, ledger.exportOrders(eventId), (r: OrderExportRow) => [
      r.order_id,
      r.created_at,
      r.status,
      r.email,
      r.buyer_name,
      r.tickets,
      r.categories,
      decimal(r.amount_minor, r.currency),
      decimal(r.refunded_minor, r.currency),
      decimal(r.amount_minor - r.refunded_minor, r.currency),
      r.currency,
      r.paid_at,
      r.checked_in,
    ]),
  };
}

/** Every ticket of the event (attendees) as CSV. */
export async function exportAttendees(
  s: PurchaseStore,
  ledger: OrderLedger,
  who: Member,
  eventId: string,
): Promise<CsvExport> {
  await requireOnEvent(s, who, eventId, 'orders.export');
  return {
    filename: `attendees-${eventId}.csv`,
    chunks: csv(ATTENDEE_HEADER, ledger.exportAttendees(eventId), (r: AttendeeExportRow) => [
      r.ticket_id,
      r.order_id,
      r.email,
      r.buyer_name,
      r.category_id,
      r.section,
      r.row_label,
      r.seat,
      decimal(r.price_minor, r.currency),
      r.currency,
      r.status,
      r.issued_at,
      r.checked_in_at,
    ]),
  };
}

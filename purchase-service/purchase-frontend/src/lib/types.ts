/** Shapes of the purchase API (purchase-backend/src/domain), as the pages use them. */
export type SeatChar = 'a' | 'h' | 's';

export interface SeatMapCategory {
  id: string;
  name: string;
  kind: 'reserved' | 'ga';
  priceMinor: number;
  currency: string;
  capacity: number;
  available: number;
  held: number;
  sold: number;
}

export interface SeatMap {
  eventId: string;
  title: string;
  venue: string;
  status: string;
  holdSeconds: number;
  perUserLimit: number;
  version: number;
  categories: SeatMapCategory[];
  sections: { categoryId: string; name: string; rows: { label: string; seats: string }[] }[];
}

export type OrderStatus =
  'pending_payment' | 'confirmed' | 'paid' | 'expired' | 'cancelled' | 'failed' | 'refunded';

export interface OrderItem {
  unitId: string;
  categoryId: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  priceMinor: number;
}

export interface Order {
  orderId: string;
  eventId: string;
  eventTitle: string;
  status: OrderStatus;
  reason: string | null;
  amountMinor: number;
  currency: string;
  createdAt: string;
  expiresAt: string;
  items: OrderItem[];
}

export interface Ticket {
  ticketId: string;
  orderId: string;
  eventId: string;
  eventTitle: string;
  venue: string;
  startsAt: string;
  unitId: string;
  categoryName: string;
  section: string | null;
  row: string | null;
  seat: number | null;
  status: 'valid' | 'void';
  checkedInAt: string | null;
  code: string;
  qr: string;
}

export type SeatsMessage =
  { type: 'hello'; eventId: string } | { type: 'seats'; changes: [string, 'available' | 'held' | 'sold'][] };

export const itemLabel = (i: OrderItem): string =>
  i.section ? `${i.section} · Row ${i.row} · Seat ${i.seat}` : `${i.categoryId} · general admission`;

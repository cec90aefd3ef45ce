/** What the purchase pages add to the API's shapes (those come generated, from `./api/client`). */
import type { OrderItem } from './api/client';

export type { Order, OrderItem, OrderStatus, SeatMap, Ticket } from './api/client';

/** One seat's state in a seat map row string. */
export type SeatChar = 'a' | 'h' | 's';

export const itemLabel = (i: OrderItem): string =>
  i.section ? `${i.section} · Row ${i.row} · Seat ${i.seat}` : `${i.categoryId} · general admission`;

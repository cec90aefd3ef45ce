import { z } from 'zod';

/** The fan routes' answers as they go on the wire; the purchase frontend's types are generated from them. */

export const SeatMap = z
  .object({
    eventId: z.string(),
    title: z.string(),
    venue: z.string(),
    status: z.string(),
    holdSeconds: z.number().int(),
    perUserLimit: z.number().int(),
    /** Highest change sequence included; live updates continue from here. */
    version: z.number().int(),
    categories: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        kind: z.enum(['reserved', 'ga']),
        priceMinor: z.number().int(),
        currency: z.string(),
        capacity: z.number().int(),
        available: z.number().int(),
        held: z.number().int(),
        sold: z.number().int(),
      }),
    ),
    /** One state character per seat (`a` available, `h` held, `s` sold), seat n at index n−1. */
    sections: z.array(
      z.object({
        categoryId: z.string(),
        name: z.string(),
        rows: z.array(z.object({ label: z.string(), seats: z.string() })),
      }),
    ),
  })
  .meta({ id: 'SeatMap' });

export const OrderStatus = z
  .enum(['pending_payment', 'confirmed', 'paid', 'expired', 'cancelled', 'failed', 'refunded'])
  .meta({ id: 'OrderStatus' });

export const OrderItem = z
  .object({
    unitId: z.string(),
    categoryId: z.string(),
    section: z.string().nullable(),
    row: z.string().nullable(),
    seat: z.number().int().nullable(),
    priceMinor: z.number().int(),
  })
  .meta({ id: 'OrderItem' });

export const Order = z
  .object({
    orderId: z.string(),
    eventId: z.string(),
    eventTitle: z.string(),
    status: OrderStatus,
    reason: z.string().nullable(),
    amountMinor: z.number().int(),
    currency: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    items: z.array(OrderItem),
  })
  .meta({ id: 'Order' });

export const Ticket = z
  .object({
    ticketId: z.string(),
    orderId: z.string(),
    eventId: z.string(),
    eventTitle: z.string(),
    venue: z.string(),
    startsAt: z.string(),
    unitId: z.string(),
    categoryName: z.string(),
    section: z.string().nullable(),
    row: z.string().nullable(),
    seat: z.number().int().nullable(),
    status: z.enum(['valid', 'void']),
    checkedInAt: z.string().nullable(),
    /** The ticket's signed static part; the door takes it alone only where static codes are accepted. */
    code: z.string(),
    /**
     * The ticket's TOTP secret (base32; null once void): the page shows the live code
     * `<code>~<window>~<totp>` (@ticketslave/contracts `liveTicketCode`), new every 30 s.
     */
    secret: z.string().nullable(),
    /** Whether the organiser accepts the static code at the door (printed tickets). */
    staticCode: z.boolean(),
    /** The static code as a QR image (data: URL), only where it is accepted. */
    qr: z.string().nullable(),
  })
  .meta({ id: 'Ticket' });

export const CheckIn = z
  .object({
    ticketId: z.string(),
    eventId: z.string(),
    unitId: z.string(),
    checkedInAt: z.string(),
  })
  .meta({ id: 'CheckIn' });

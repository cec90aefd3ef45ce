import { z } from 'zod';
import {
  rateLimit,
  sendChunks,
  sessionGuard,
  sessionOf,
  textBody,
  type ApiRouter,
  type TokenVerifier,
} from '@ticketslave/common';
import { exportAttendees, exportOrders, type CsvExport } from '../domain/organiser-exports';
import {
  listAttendees,
  listOrders,
  ORDER_FILTERS,
  orderDetail,
  orderSummary,
  readSearch,
  saleFigures,
  type OrderLedger,
} from '../domain/organiser-orders';
import type { PurchaseStore, Transact } from '../domain/ports';
import { requestRefund } from '../domain/refunds';
import type { TicketCodes } from '../domain/ticket-codes';

export interface OrganiserRouteDeps {
  store: PurchaseStore;
  tx: Transact;
  ledger: OrderLedger;
  codes: TicketCodes;
  sessions: TokenVerifier;
}

const EventParams = z.object({ id: z.uuid('an event id') });
const OrderParams = z.object({ id: z.uuid('an order id') });
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const Filters = z.object({
  q: z.string().trim().max(2000).optional(),
  category: z.string().min(1).max(40).optional(),
  checkedIn: bool.optional(),
});
const Paging = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
const OrderStatus = z.enum([
  'pending_payment',
  'confirmed',
  'paid',
  'expired',
  'cancelled',
  'failed',
  'refunded',
]);

const OrderItem = z.object({
  orderId: z.string(),
  createdAt: z.string(),
  email: z.string(),
  buyerName: z.string().nullable(),
  status: OrderStatus,
  amountMinor: z.number().int(),
  refundedMinor: z.number().int(),
  currency: z.string(),
  tickets: z.number().int(),
  checkedIn: z.number().int(),
  categoryIds: z.array(z.string()),
});
const Summary = z.object({
  orders: z.number().int(),
  tickets: z.number().int(),
  checkedIn: z.number().int(),
  grossMinor: z.number().int(),
  refundedMinor: z.number().int(),
  netMinor: z.number().int(),
  currency: z.string().nullable(),
});
const AttendeeItem = z.object({
  ticketId: z.string(),
  orderId: z.string(),
  email: z.string(),
  buyerName: z.string().nullable(),
  categoryId: z.string(),
  section: z.string().nullable(),
  row: z.string().nullable(),
  seat: z.number().int().nullable(),
  priceMinor: z.number().int(),
  currency: z.string(),
  status: z.enum(['valid', 'void']),
  issuedAt: z.string(),
  checkedInAt: z.string().nullable(),
});
const RefundSource = z.enum(['organiser', 'stripe', 'dispute', 'event_cancelled', 'payment']);
const Detail = z.object({
  order: z.object({
    orderId: z.string(),
    eventId: z.string(),
    eventTitle: z.string(),
    timeZone: z.string(),
    email: z.string(),
    buyerName: z.string().nullable(),
    status: OrderStatus,
    reason: z.string().nullable(),
    amountMinor: z.number().int(),
    refundedMinor: z.number().int(),
    currency: z.string(),
    createdAt: z.string(),
  }),
  tickets: z.array(
    z.object({
      ticketId: z.string(),
      unitId: z.string(),
      categoryId: z.string(),
      section: z.string().nullable(),
      row: z.string().nullable(),
      seat: z.number().int().nullable(),
      priceMinor: z.number().int(),
      status: z.enum(['valid', 'void']),
      checkedInAt: z.string().nullable(),
      refundId: z.string().nullable(),
    }),
  ),
  refunds: z.array(
    z.object({
      refundId: z.string(),
      source: RefundSource,
      status: z.enum(['requested', 'refunded', 'failed']),
      amountMinor: z.number().int(),
      reason: z.string(),
      releaseSeats: z.boolean(),
      requestedByEmail: z.string().nullable(),
      failure: z.string().nullable(),
      createdAt: z.string(),
      settledAt: z.string().nullable(),
      ticketIds: z.array(z.string()),
    }),
  ),
  refundableMinor: z.number().int(),
  timeline: z.array(z.object({ at: z.string(), kind: z.string(), text: z.string() })),
});
const Sales = z.object({
  currency: z.string().nullable(),
  grossMinor: z.number().int(),
  refundedMinor: z.number().int(),
  netMinor: z.number().int(),
  paidOrders: z.number().int(),
  byCategory: z.array(
    z.object({
      categoryId: z.string(),
      name: z.string(),
      available: z.number().int(),
      held: z.number().int(),
      sold: z.number().int(),
      validTickets: z.number().int(),
      checkedIn: z.number().int(),
      voidTickets: z.number().int(),
    }),
  ),
});

/** The organiser's side of purchase: orders and attendees of an event, one order's story, refunds, exports. */
export function registerOrganiserRoutes(api: ApiRouter, d: OrganiserRouteDeps): void {
  const member = sessionGuard(d.sessions, { verifiedEmail: true });
  const perUser = (capacity: number, refillPerSecond: number) =>
    rateLimit({
      name: 'organiser-user',
      capacity,
      refillPerSecond,
      key: (req) => `org:${(req.res?.locals.session as { sub?: string } | undefined)?.sub ?? ''}`,
    });
  const o = { auth: 'session' as const, tags: ['organiser'], before: [member, perUser(120, 20)] };
  const search = async (eventId: string, q: z.infer<typeof Filters>) => ({
    eventId,
    categoryId: q.category,
    checkedIn: q.checkedIn,
    ...(await readSearch(d.codes, q.q)),
  });

  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/orders',
      summary:
        "An event's orders, newest first (search: e-mail or name prefix, order or ticket id, ticket code)",
      params: EventParams,
      query: Filters.extend(Paging.shape).extend({ status: z.enum(ORDER_FILTERS).default('sold') }),
      response: z.object({ items: z.array(OrderItem), nextCursor: z.string().nullable() }),
    },
    async ({ params, query, res }) =>
      listOrders(
        d.store,
        d.ledger,
        sessionOf(res),
        { ...(await search(params.id, query)), status: query.status },
        query.cursor,
        query.limit,
      ),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/orders/summary',
      summary: 'Totals of the orders a search finds (count, tickets, gross, refunded, net, checked in)',
      params: EventParams,
      query: Filters.extend({ status: z.enum(ORDER_FILTERS).default('sold') }),
      response: Summary,
    },
    async ({ params, query, res }) =>
      orderSummary(d.store, d.ledger, sessionOf(res), {
        ...(await search(params.id, query)),
        status: query.status,
      }),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/attendees',
      summary: "An event's tickets with their holders, newest first",
      params: EventParams,
      query: Filters.extend(Paging.shape).extend({
        status: z.enum(['valid', 'void', 'all']).default('valid'),
      }),
      response: z.object({ items: z.array(AttendeeItem), nextCursor: z.string().nullable() }),
    },
    async ({ params, query, res }) =>
      listAttendees(
        d.store,
        d.ledger,
        sessionOf(res),
        { ...(await search(params.id, query)), status: query.status },
        query.cursor,
        query.limit,
      ),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/sales',
      summary: 'Revenue (gross, refunded, net) and units per category: sold, held, available, checked in',
      params: EventParams,
      response: Sales,
    },
    ({ params, res }) => saleFigures(d.store, d.ledger, sessionOf(res), params.id),
  );
  const csv = (exp: CsvExport, res: Parameters<typeof sendChunks>[0]) =>
    sendChunks(
      res,
      {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${exp.filename}"`,
        'Cache-Control': 'no-store',
      },
      exp.chunks,
    );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/orders.csv',
      summary: 'Every sold order as CSV, streamed (owners and managers)',
      params: EventParams,
      response: textBody('text/csv', 'One line per sold order, after a header line'),
    },
    async ({ params, res }) => csv(await exportOrders(d.store, d.ledger, sessionOf(res), params.id), res),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/attendees.csv',
      summary: 'Every ticket with its holder as CSV, streamed (owners and managers)',
      params: EventParams,
      response: textBody('text/csv', 'One line per ticket, after a header line'),
    },
    async ({ params, res }) => csv(await exportAttendees(d.store, d.ledger, sessionOf(res), params.id), res),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/orders/:id',
      summary: 'One order with its tickets, refunds and timeline',
      params: OrderParams,
      response: Detail,
    },
    ({ params, res }) => orderDetail(d.store, d.ledger, sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/orders/:id/refunds',
      summary: 'Refund an order or some of its tickets (owners and managers); the money moves at Stripe',
      params: OrderParams,
      status: 202,
      body: z
        .object({
          ticketIds: z.array(z.uuid('a ticket id')).max(50).optional(),
          amountMinor: z.number().int().min(1, 'must be more than 0').max(100_000_000).optional(),
          reason: z.string().trim().min(3, 'say why in a few words').max(500),
          releaseSeats: z.boolean().default(true),
        })
        .strict(),
      response: z.object({
        refundId: z.string(),
        orderId: z.string(),
        status: z.literal('requested'),
        amountMinor: z.number().int(),
        currency: z.string(),
        ticketIds: z.array(z.string()),
      }),
    },
    ({ params, body, res }) => requestRefund(d.tx, sessionOf(res), params.id, body),
  );
}

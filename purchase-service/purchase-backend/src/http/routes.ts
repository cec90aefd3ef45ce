import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import {
  clientIp,
  rateLimit,
  rateLimits,
  sessionGuard,
  sessionOf,
  type Clock,
  type TokenVerifier,
} from '@ticketslave/common';
import { eventCalendar } from '../domain/calendar';
import { checkIn, keptTicket, ticketsOf } from '../domain/tickets';
import { ticketPdf } from '../domain/ticket-pdf';
import { ticketRef } from '../domain/ticket-text';
import { walletPass, type WalletSigning } from '../domain/wallet-pass';
import { holdSeats, purchaseWindow, releaseHold, type HoldStore } from '../domain/holds';
import { ordersOf } from '../domain/orders';
import type { PurchaseStore, Transact } from '../domain/ports';
import { seatMap } from '../domain/seatmap';
import type { TicketCodes } from '../domain/ticket-codes';
import {
  fileBody,
  noContent,
  NotFoundError,
  UnavailableError,
  textBody,
  type ApiRouter,
} from '@ticketslave/common';
import { admittedFan } from './admission';
import { CheckIn, Order, SeatMap, Ticket } from './views';

export interface RouteDeps {
  /** Reads outside a transaction. */
  store: PurchaseStore;
  tx: Transact;
  clock: Clock;
  sessions: TokenVerifier;
  admissions: TokenVerifier;
  codes: TicketCodes;
  holds: HoldStore;
  /** Where fans reach us (links in calendar files, PDFs and passes). */
  publicBaseUrl: string;
  /** Signs Apple Wallet passes; unset, there are none. */
  wallet?: WalletSigning;
}

const EventParams = z.object({ id: z.uuid() });
const OrderParams = z.object({ id: z.uuid() });
const TicketParams = z.object({ id: z.uuid() });
const UnitId = z.string().min(3).max(200);
const Places = z
  .object({ categoryId: z.string().min(1).max(40), quantity: z.number().int().min(1).max(50) })
  .strict();
/** Standing (general-admission) places in the same order as seats: a mixed order. */
const Standing = Places.describe('places of a general-admission category in the same order');
export const HoldBody = z.union([
  z.object({ seats: z.array(UnitId).min(1).max(50), standing: Standing.optional() }).strict(),
  Places,
  z
    .object({
      together: Places.describe(
        'the best block of this many adjacent seats of a reserved category (docs/architecture.md, Best available)',
      ),
      standing: Standing.optional(),
    })
    .strict(),
]);

const sessionSub = (req: Request) => (req.res?.locals.session as { sub?: string } | undefined)?.sub;
const perUser = (name: string, capacity: number, refillPerSecond: number): RequestHandler =>
  rateLimit({ name, capacity, refillPerSecond, key: sessionSub });
/**
 * A hold's limits, per address and per fan, in one take (one round trip, not two). The
 * session is read first without failing (`optional`), so a request without a valid session
 * still spends its address's token before the fan guard refuses it; when either bucket is
 * empty the request is refused and neither loses a token.
 */
const holdLimits = rateLimits([
  { name: 'hold-ip', capacity: 2000, refillPerSecond: 500, key: clientIp },
  { name: 'hold-user', capacity: 10, refillPerSecond: 1, key: sessionSub },
]);

export function registerRoutes(api: ApiRouter, d: RouteDeps): void {
  const fan = sessionGuard(d.sessions);
  api.route(
    {
      method: 'get',
      path: '/events/:id/seatmap',
      summary: 'Seat map with live states and prices',
      params: EventParams,
      response: SeatMap,
      errors: [404],
    },
    ({ params }) => seatMap(d.store, params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id/calendar.ics',
      summary: 'The event as a calendar entry (iCalendar), with a link to my tickets',
      params: EventParams,
      response: textBody('text/calendar', 'One VEVENT: start (UTC), venue, doors, tickets link'),
      errors: [404],
    },
    async ({ params, res }) => {
      const event = await d.store.events.get(params.id);
      if (!event) throw new NotFoundError('There is no sale for this event.', 'event_not_found');
      res
        .set({
          'Content-Type': 'text/calendar; charset=utf-8',
          'Content-Disposition': `attachment; filename="event-${params.id.slice(0, 8)}.ics"`,
          'Cache-Control': 'public, max-age=300',
        })
        .send(eventCalendar(event, d.publicBaseUrl));
      return '';
    },
  );
  api.route(
    {
      method: 'post',
      path: '/events/:id/holds',
      summary:
        'Hold seats, a quantity of a category, or the best N adjacent seats (with standing places) for an admitted fan',
      params: EventParams,
      body: HoldBody,
      response: Order,
      errors: [403, 404, 409],
      status: 201,
      auth: 'admission',
      before: [sessionGuard(d.sessions, { optional: true }), holdLimits, fan],
    },
    async ({ params, body, req, res }) => {
      const { session, admission } = await admittedFan(d.admissions, req, res, params.id);
      return holdSeats(d.holds, {
        eventId: params.id,
        userId: session.sub,
        email: session.email,
        admissionId: admission.aid,
        selection: body,
      });
    },
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id/admission',
      summary:
        'My purchase window for this event: when my admission ends, how long a hold lasts, my order in progress',
      params: EventParams,
      response: z.object({
        admissionId: z.string(),
        expiresAt: z.iso.datetime({ offset: true }),
        holdSeconds: z.number().int(),
        orderId: z.uuid().nullable(),
      }),
      errors: [403, 404],
      auth: 'admission',
      before: [fan],
    },
    async ({ params, req, res }) => {
      const { admission } = await admittedFan(d.admissions, req, res, params.id);
      return purchaseWindow(d.store, params.id, admission);
    },
  );
  api.route(
    {
      method: 'get',
      path: '/orders',
      summary: 'My orders',
      response: z.object({ orders: z.array(Order) }),
      auth: 'session',
      before: [fan],
    },
    async ({ res }) => ({ orders: await ordersOf(d.store, sessionOf(res).sub) }),
  );
  api.route(
    {
      method: 'get',
      path: '/orders/:id',
      summary: 'One of my orders',
      params: OrderParams,
      response: Order,
      errors: [404],
      auth: 'session',
      before: [fan],
    },
    async ({ params, res }) => {
      const [order] = await ordersOf(d.store, sessionOf(res).sub, params.id);
      if (!order) throw new NotFoundError('No such order.', 'order_not_found');
      return order;
    },
  );
  api.route(
    {
      method: 'delete',
      path: '/orders/:id/hold',
      summary: 'Release my held seats early',
      params: OrderParams,
      response: noContent,
      errors: [404, 409],
      auth: 'session',
      before: [fan, perUser('release-user', 10, 1)],
    },
    ({ params, res }) => releaseHold(d.tx, sessionOf(res).sub, params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/tickets',
      summary: 'My tickets, each with the secret its live QR code rotates with',
      // serverTime: the page corrects its clock by it, so the code's window is the door's.
      response: z.object({
        tickets: z.array(Ticket),
        serverTime: z.string(),
        /** Whether `GET /tickets/:id.pkpass` gives Apple Wallet passes here (the operator configured signing). */
        walletPasses: z.boolean(),
      }),
      auth: 'session',
      before: [fan],
    },
    async ({ res }) => ({
      tickets: await ticketsOf(d.store, sessionOf(res).sub),
      serverTime: d.clock.now().toISOString(),
      walletPasses: d.wallet !== undefined,
    }),
  );
  // A function: the OpenAPI build declares these routes with unwired dependencies.
  const ticketsUrl = () => new URL('/purchase/tickets', d.publicBaseUrl).href;
  api.route(
    {
      method: 'get',
      path: '/tickets/:id.pdf',
      summary:
        'One of my tickets as a PDF: a scannable code only where the organiser accepts printed codes, else how to show the live one',
      params: TicketParams,
      response: fileBody('application/pdf', 'One A4 page'),
      errors: [404, 410],
      auth: 'session',
      before: [fan, perUser('ticket-file-user', 20, 1)],
    },
    async ({ params, res }) => {
      const ticket = await keptTicket(d.store, sessionOf(res).sub, params.id);
      res
        .set({
          'Content-Type': 'application/pdf',
          'Content-Disposition': `attachment; filename="ticket-${ticketRef(ticket.ticketId)}.pdf"`,
          'Cache-Control': 'private, no-store',
        })
        .send(await ticketPdf(ticket, ticketsUrl()));
      return '';
    },
  );
  api.route(
    {
      method: 'get',
      path: '/tickets/:id.pkpass',
      summary:
        'One of my tickets as an Apple Wallet pass: the static code only where the organiser accepts printed codes, else no barcode',
      params: TicketParams,
      response: fileBody('application/vnd.apple.pkpass', 'A signed .pkpass (zip)'),
      errors: [404, 410, 503],
      auth: 'session',
      before: [fan, perUser('ticket-file-user', 20, 1)],
    },
    async ({ params, res }) => {
      const wallet = d.wallet;
      if (!wallet)
        throw new UnavailableError('Apple Wallet passes are not set up here.', 'wallet_unavailable');
      const ticket = await keptTicket(d.store, sessionOf(res).sub, params.id);
      res
        .set({
          'Content-Type': 'application/vnd.apple.pkpass',
          'Content-Disposition': `attachment; filename="ticket-${ticketRef(ticket.ticketId)}.pkpass"`,
          'Cache-Control': 'private, no-store',
        })
        .send(walletPass(ticket, wallet, ticketsUrl()));
      return '';
    },
  );
  api.route(
    {
      method: 'post',
      path: '/checkin',
      summary: 'Admit a ticket at the door (organiser of the event or admin), once',
      body: z.object({ code: z.string().min(20).max(4000) }).strict(),
      response: CheckIn,
      errors: [403, 404, 409, 410],
      auth: 'session',
      before: [sessionGuard(d.sessions, { roles: ['organiser', 'admin'] }), perUser('checkin-user', 30, 10)],
    },
    ({ body, res }) => checkIn(d, d.codes, d.clock, sessionOf(res), body.code),
  );
}

import { z } from 'zod';
import {
  rateLimit,
  sessionGuard,
  sessionOf,
  type ApiRouter,
  type Clock,
  type TokenVerifier,
} from '@ticketslave/common';
import { checkinBundle, checkinConflicts, scanOnline, syncScans } from '../domain/checkin';
import type { PurchaseStore, Transact } from '../domain/ports';
import { setStaticCodes, ticketCodeSettings } from '../domain/ticket-code-settings';
import type { TicketCodes } from '../domain/ticket-codes';

export interface CheckinRouteDeps {
  store: PurchaseStore;
  tx: Transact;
  clock: Clock;
  codes: TicketCodes;
  sessions: TokenVerifier;
}

const EventParams = z.object({ id: z.uuid('an event id') });
const DeviceId = z.string().trim().min(4, 'a device id').max(64);
const TicketView = z.object({
  ticketId: z.string(),
  unitId: z.string(),
  categoryId: z.string(),
  category: z.string(),
  section: z.string().nullable(),
  row: z.string().nullable(),
  seat: z.number().int().nullable(),
  holder: z.string(),
  status: z.enum(['valid', 'void']),
  checkedInAt: z.string().nullable(),
});
const Counts = z.object({ valid: z.number().int(), checkedIn: z.number().int() });
const Verdict = z.object({
  scanId: z.string(),
  verdict: z.enum([
    'admitted',
    'already_used',
    'conflict',
    'void',
    'wrong_event',
    'not_found',
    'invalid',
    'expired',
  ]),
  ticket: TicketView.nullable(),
  firstScan: z.object({ deviceId: z.string(), scannedAt: z.string() }).nullable(),
});

/**
 * The door app's side of purchase, for every member who may check in (door staff,
 * managers, owners) and admins: the offline bundle, online scans, syncing offline scans,
 * and the conflicts two offline devices made.
 */
export function registerCheckinRoutes(api: ApiRouter, d: CheckinRouteDeps): void {
  const member = sessionGuard(d.sessions, { verifiedEmail: true });
  // A busy door scans a ticket every second or two per device; bursts when a queue forms.
  const perUser = rateLimit({
    name: 'checkin-member',
    capacity: 60,
    refillPerSecond: 20,
    key: (req) => `door:${(req.res?.locals.session as { sub?: string } | undefined)?.sub ?? ''}`,
  });
  const o = { auth: 'session' as const, tags: ['check-in'], before: [member, perUser] };

  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/checkin/bundle',
      summary: "What a door device keeps to scan offline: the codes' public key and every ticket",
      params: EventParams,
      response: z.object({
        event: z.object({
          eventId: z.string(),
          title: z.string(),
          venue: z.string(),
          timeZone: z.string(),
          startsAt: z.string(),
        }),
        verification: z.object({
          alg: z.literal('EdDSA'),
          issuer: z.string(),
          audience: z.string(),
          keys: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
          rotation: z.object({
            periodSeconds: z.number().int(),
            /** The event's code key (hex): a ticket's TOTP secret is derived from it and the ticket id. */
            codeKey: z.string(),
            staticCodes: z.boolean(),
          }),
        }),
        tickets: z.array(TicketView),
        counts: Counts,
        generatedAt: z.string(),
      }),
    },
    ({ params, res }) => checkinBundle(d.store, d.codes, d.clock, sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events/:id/checkin/scans',
      summary:
        'Scan a ticket at the door (a live code, or a ticket found by name): admitted once, else why not (a screenshot: expired)',
      params: EventParams,
      body: z
        .object({
          deviceId: DeviceId,
          scanId: z.uuid('a scan id').optional(),
          code: z.string().min(20).max(4000).optional(),
          ticketId: z.uuid('a ticket id').optional(),
        })
        .strict()
        .refine((b) => !!b.code !== !!b.ticketId, { message: 'send a code or a ticket id', path: ['code'] }),
      response: Verdict,
    },
    ({ params, body, res }) => scanOnline(d, d.codes, d.clock, sessionOf(res), params.id, body),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events/:id/checkin/sync',
      summary: 'Scans a device admitted offline: first scan wins, later ones come back as conflicts',
      params: EventParams,
      body: z
        .object({
          deviceId: DeviceId,
          scans: z
            .array(
              z
                .object({
                  scanId: z.uuid('a scan id'),
                  ticketId: z.uuid('a ticket id'),
                  code: z.string().min(20).max(4000).optional(),
                  scannedAt: z.iso.datetime({ offset: true, message: 'an ISO 8601 time' }),
                })
                .strict(),
            )
            .max(500, 'at most 500 scans per sync'),
        })
        .strict(),
      response: z.object({ results: z.array(Verdict), counts: Counts }),
    },
    ({ params, body, res }) =>
      syncScans(
        d.tx,
        d.codes,
        d.clock,
        sessionOf(res),
        params.id,
        body.deviceId,
        body.scans.map((s) => ({ ...s, scannedAt: new Date(s.scannedAt) })),
      ),
  );
  const CodeSettings = z.object({ periodSeconds: z.number().int(), staticCodes: z.boolean() });
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/ticket-codes',
      summary:
        "The event's ticket codes: how often they change, and whether a static printed code is accepted",
      params: EventParams,
      response: CodeSettings,
    },
    ({ params, res }) => ticketCodeSettings(d.store, sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'put',
      path: '/organiser/events/:id/ticket-codes',
      summary:
        'Accept static, printable ticket codes at the door, or only live ones (owners and managers; off by default)',
      params: EventParams,
      body: z.object({ staticCodes: z.boolean() }).strict(),
      response: CodeSettings,
    },
    ({ params, body, res }) => setStaticCodes(d.tx, sessionOf(res), params.id, body.staticCodes),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/checkin/conflicts',
      summary: 'Tickets admitted more than once by devices that were offline, with every scan',
      params: EventParams,
      response: z.object({
        items: z.array(
          z.object({
            ticket: TicketView,
            scans: z.array(
              z.object({
                scanId: z.string(),
                deviceId: z.string(),
                scannedAt: z.string(),
                offline: z.boolean(),
              }),
            ),
          }),
        ),
      }),
    },
    ({ params, res }) => checkinConflicts(d.store, sessionOf(res), params.id),
  );
}

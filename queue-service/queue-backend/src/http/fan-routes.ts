import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import {
  admissionCookie,
  ConflictError,
  cookieOptions,
  ForbiddenError,
  NotFoundError,
  queueTicketCookie,
  rateLimit,
  sessionGuard,
  sessionOf,
  TOKENS,
  type ApiRouter,
  type TokenSigner,
  type TokenVerifier,
} from '@ticketslave/common';
import { z } from 'zod';
import { claimBy, nearTurnAhead } from '../domain/admission-rules';
import { claimTurn } from '../domain/claim-turn';
import { findEvent } from '../data/event-store';
import { admitFan, findFan, placesOf } from '../data/fan-store';
import { chooseNearTurnMail, nearTurnChoice } from '../data/near-turn-store';

export interface FanRouteDeps {
  ds: DataSource;
  sessions: TokenVerifier;
  tickets: TokenVerifier;
  signer: TokenSigner;
  secureCookies: boolean;
  minClaimSeconds: number;
  /** QUEUE_NEAR_TURN_LEAD_SECONDS (see admission-rules nearTurnAhead). */
  nearTurnLeadSeconds: number;
}

const EventParams = z.object({ id: z.uuid() });
/** The fan's place, as the polling fallback answers it (the socket's `state` message carries the same). */
const QueuePlace = z
  .object({
    queueNumber: z.number().int(),
    status: z.enum(['waiting', 'turn', 'parked', 'admitted', 'lapsed']),
    claimBy: z.string().nullable(),
    servingNumber: z.number().int(),
    lastNumber: z.number().int(),
    admitRatePerMinute: z.number().int(),
    measuredRatePerMinute: z.number(),
    paused: z.boolean(),
    pauseReason: z.enum(['organiser', 'in_carts']).nullable(),
    soldOut: z.boolean(),
    cancelled: z.boolean(),
    available: z.number().int().nullable(),
    saleStartsAt: z.string().nullable(),
  })
  .meta({ id: 'QueuePlace' });

/** One of the fan's places, for "My queues" (the same numbers the queue page shows). */
const MyPlace = z
  .object({
    eventId: z.uuid(),
    queueNumber: z.number().int(),
    status: z.enum(['waiting', 'turn', 'parked', 'admitted', 'lapsed']),
    /** Until when a turn can be claimed (turn or parked). */
    claimBy: z.string().nullable(),
    /** Until when an admitted fan may shop (in the past once the admission ended). */
    admissionExpiresAt: z.string().nullable(),
    servingNumber: z.number().int(),
    lastNumber: z.number().int(),
    paused: z.boolean(),
    soldOut: z.boolean(),
    saleStartsAt: z.string().nullable(),
  })
  .meta({ id: 'MyPlace' });

/** "E-mail me when I'm nearly there" for one place (issue 20.8). */
const NearTurnMail = z
  .object({
    /** The fan asked for the mail. */
    enabled: z.boolean(),
    /** The mail is decided (the fan came within the threshold); a place is mailed once. */
    sent: z.boolean(),
    /** Where it goes: the address of the session that opted in. */
    email: z.string().nullable(),
    /** The mail goes out when at most this many fans are ahead (from the event's admission rate). */
    aheadAtMost: z.number().int(),
    /** …which the queue admits in at most this many seconds. */
    leadSeconds: z.number().int(),
  })
  .meta({ id: 'NearTurnMail' });

/** The fan's queue ticket for this event; a ticket for another event is refused. */
async function ticketOf(req: Request, tickets: TokenVerifier, eventId: string) {
  const cookies = req.cookies as Record<string, string | undefined>;
  const claims = await tickets.verify('queueTicket', cookies[queueTicketCookie(eventId)]);
  if (claims.evt !== eventId)
    throw new ForbiddenError('This queue ticket is for another event.', 'wrong_event');
  return claims;
}

export function registerFanRoutes(api: ApiRouter, d: FanRouteDeps): void {
  const perUser = rateLimit({
    name: 'claim',
    capacity: 10,
    refillPerSecond: 1,
    // Runs after the session guard, so the key is the verified user, not anything the client chose.
    key: (req) => {
      const sub = (req.res?.locals.session as { sub?: string } | undefined)?.sub;
      return sub ? `claim:${sub}` : undefined;
    },
  });

  api.route(
    {
      method: 'post',
      path: '/events/:id/admission',
      summary: 'Claim your turn: sets the admission cookie and sends you to purchase',
      params: EventParams,
      auth: 'queue-ticket',
      before: [sessionGuard(d.sessions), perUser],
      response: z.object({ redirectTo: z.string(), admissionId: z.string(), expiresAt: z.string() }),
    },
    async ({ params, req, res }) => {
      const ticket = await ticketOf(req, d.tickets, params.id);
      if (ticket.sub !== sessionOf(res).sub)
        throw new ForbiddenError('This queue ticket belongs to another account.', 'wrong_fan');
      const adm = await claimTurn({
        admit: () =>
          d.ds.transaction((em) =>
            admitFan(em, {
              eventId: params.id,
              userId: ticket.sub,
              admissionId: randomUUID(),
              minClaimSeconds: d.minClaimSeconds,
            }),
          ),
        current: async () => {
          const [fan, event] = await Promise.all([
            findFan(d.ds, params.id, ticket.sub),
            findEvent(d.ds, params.id),
          ]);
          return {
            fan: fan && {
              status: fan.status,
              admissionId: fan.admission_id,
              admissionExpiresAt: fan.admission_expires_at && new Date(fan.admission_expires_at),
            },
            event: event && { cancelled: event.cancelled, soldOut: event.sold_out },
          };
        },
        now: () => new Date(),
      });
      const jwt = await d.signer.sign(
        { evt: params.id, aid: adm.admissionId },
        {
          issuer: TOKENS.admission.issuer,
          audience: TOKENS.admission.audience,
          subject: ticket.sub,
          expiresAt: adm.expiresAt,
        },
      );
      res.cookie(
        admissionCookie(params.id),
        jwt,
        cookieOptions({ secure: d.secureCookies, path: TOKENS.admission.cookiePath, expires: adm.expiresAt }),
      );
      return {
        redirectTo: `/purchase/?event=${params.id}`,
        admissionId: adm.admissionId,
        expiresAt: adm.expiresAt.toISOString(),
      };
    },
  );

  const nearTurnLimit = rateLimit({
    name: 'near-turn-mail',
    capacity: 10,
    refillPerSecond: 0.5,
    key: (req) => {
      const sub = (req.res?.locals.session as { sub?: string } | undefined)?.sub;
      return sub ? `near-turn-mail:${sub}` : undefined;
    },
  });
  const nearTurnAnswer = async (eventId: string, userId: string) => {
    const [choice, event] = await Promise.all([
      nearTurnChoice(d.ds, eventId, userId),
      findEvent(d.ds, eventId),
    ]);
    return {
      enabled: choice.enabled,
      sent: choice.sentAt !== null,
      email: choice.email,
      aheadAtMost: nearTurnAhead(event?.admit_rate_per_minute ?? 0, d.nearTurnLeadSeconds),
      leadSeconds: d.nearTurnLeadSeconds,
    };
  };

  api.route(
    {
      method: 'get',
      path: '/events/:id/near-turn-mail',
      summary: 'Whether you asked to be e-mailed when your turn is near, by session',
      params: EventParams,
      response: NearTurnMail,
      errors: [404],
      auth: 'session',
      before: [sessionGuard(d.sessions)],
    },
    async ({ params, res }) => {
      const me = sessionOf(res);
      if (!(await findFan(d.ds, params.id, me.sub)))
        throw new NotFoundError('The queue has no place of yours for this event (yet).', 'no_place');
      return nearTurnAnswer(params.id, me.sub);
    },
  );

  api.route(
    {
      method: 'put',
      path: '/events/:id/near-turn-mail',
      summary:
        "E-mail me when I'm nearly there: one mail to your session's verified address when few fans are ahead of you (opt-in, per place; off again before it is sent)",
      params: EventParams,
      body: z.object({ enabled: z.boolean() }),
      response: NearTurnMail,
      errors: [403, 404, 409],
      auth: 'session',
      before: [sessionGuard(d.sessions), nearTurnLimit],
    },
    async ({ params, body, res }) => {
      const me = sessionOf(res);
      if (body.enabled && !me.emv)
        throw new ForbiddenError(
          'Verify your e-mail address first: we only write to addresses you confirmed.',
          'email_unverified',
        );
      const fan = await findFan(d.ds, params.id, me.sub);
      if (!fan) throw new NotFoundError('The queue has no place of yours for this event (yet).', 'no_place');
      const ok = await chooseNearTurnMail(d.ds, {
        eventId: params.id,
        userId: me.sub,
        email: me.email,
        enabled: body.enabled,
      });
      if (!ok)
        throw new ConflictError(
          'Your turn has already come: there is nothing left to tell you.',
          'not_waiting',
        );
      return nearTurnAnswer(params.id, me.sub);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/places/me',
      summary:
        'My places in every queue not cancelled, by session ("My queues"): lapsed turns and ended admissions too, so a page can tell them from numbers the queue has not heard of yet',
      response: z.object({ places: z.array(MyPlace) }),
      auth: 'session',
      before: [sessionGuard(d.sessions)],
    },
    async ({ res }) => {
      const rows = await placesOf(d.ds, sessionOf(res).sub);
      return {
        places: rows.map((r) => ({
          eventId: r.event_id,
          queueNumber: r.queue_number,
          status: r.status,
          claimBy:
            r.turn_at && (r.status === 'turn' || r.status === 'parked')
              ? claimBy(new Date(r.turn_at), r.away_grace_seconds, d.minClaimSeconds).toISOString()
              : null,
          admissionExpiresAt:
            r.status === 'admitted' && r.admission_expires_at
              ? new Date(r.admission_expires_at).toISOString()
              : null,
          servingNumber: r.serving,
          lastNumber: r.last_number,
          paused: r.paused || r.in_carts,
          soldOut: r.sold_out,
          saleStartsAt: r.sale_starts_at ? new Date(r.sale_starts_at).toISOString() : null,
        })),
      };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/events/:id/me',
      summary: 'Your place in the queue (polling fallback for the WebSocket)',
      params: EventParams,
      response: QueuePlace,
      errors: [403, 404],
      auth: 'queue-ticket',
    },
    async ({ params, req }) => {
      const ticket = await ticketOf(req, d.tickets, params.id);
      const [fan, event] = await Promise.all([
        findFan(d.ds, params.id, ticket.sub),
        findEvent(d.ds, params.id),
      ]);
      if (!event && !fan) throw new NotFoundError('This queue has not opened yet.');
      const status = fan?.status ?? 'waiting';
      const grace = event?.away_grace_seconds ?? 0;
      return {
        queueNumber: fan?.queue_number ?? ticket.qn,
        status,
        claimBy:
          fan?.turn_at && (status === 'turn' || status === 'parked')
            ? claimBy(new Date(fan.turn_at), grace, d.minClaimSeconds).toISOString()
            : null,
        servingNumber: event?.serving ?? 0,
        lastNumber: event?.last_number ?? 0,
        admitRatePerMinute: event?.admit_rate_per_minute ?? 0,
        measuredRatePerMinute: Math.round((event?.measured_rate ?? 0) * 10) / 10,
        paused: Boolean(event?.paused || event?.in_carts),
        pauseReason: event?.paused ? 'organiser' : event?.in_carts ? 'in_carts' : null,
        soldOut: event?.sold_out ?? false,
        cancelled: event?.cancelled ?? false,
        available: event?.available ?? null,
        saleStartsAt: event?.sale_starts_at ? new Date(event.sale_starts_at).toISOString() : null,
      };
    },
  );
}

import type { DataSource } from 'typeorm';
import {
  ForbiddenError,
  NotFoundError,
  sessionGuard,
  sessionOf,
  type ApiRouter,
  type TokenVerifier,
} from '@ticketslave/common';
import type { Response } from 'express';
import { z } from 'zod';
import { findEvent } from '../data/event-store';
import { fanCounts, organiserAction } from '../data/organiser-store';

const EventParams = z.object({ id: z.uuid() });
const Settings = z
  .strictObject({
    admitRatePerMinute: z.number().int().min(1).max(100_000).optional(),
    maxActiveShoppers: z.number().int().min(1).max(100_000).optional(),
  })
  .refine((s) => s.admitRatePerMinute !== undefined || s.maxActiveShoppers !== undefined, {
    message: 'give admitRatePerMinute or maxActiveShoppers',
  });

const QueueStats = z
  .object({
    servingNumber: z.number().int(),
    lastNumber: z.number().int(),
    waiting: z.number().int(),
    turn: z.number().int(),
    parked: z.number().int(),
    admitted: z.number().int(),
    lapsed: z.number().int(),
    active: z.number().int(),
    admitRatePerMinute: z.number().int(),
    maxActiveShoppers: z.number().int(),
    measuredRatePerMinute: z.number(),
    paused: z.boolean(),
    inCarts: z.boolean(),
    soldOut: z.boolean(),
    cancelled: z.boolean(),
  })
  .meta({ id: 'QueueStats' });

/** Only the event's organiser (as feed published it) or an admin runs its queue. */
async function ownEvent(ds: DataSource, res: Response, eventId: string) {
  const event = await findEvent(ds, eventId);
  if (!event) throw new NotFoundError('No queue for this event.');
  const s = sessionOf(res);
  if (s.role !== 'admin' && event.organiser_id !== s.sub)
    throw new ForbiddenError('Only the organiser of this event can do this.', 'not_organiser');
  return { event, actor: { id: s.sub, role: s.role } };
}

export interface OrganiserRouteDeps {
  ds: DataSource;
  sessions: TokenVerifier;
}

export function registerOrganiserRoutes(api: ApiRouter, d: OrganiserRouteDeps): void {
  const guard = [sessionGuard(d.sessions, { roles: ['organiser', 'admin'] })];
  const act = (action: 'pause' | 'resume', summary: string) =>
    api.route(
      {
        method: 'post',
        path: `/events/:id/${action}`,
        summary,
        params: EventParams,
        response: z.object({ paused: z.boolean() }),
        errors: [403, 404],
        auth: 'session',
        before: guard,
      },
      async ({ params, res }) => {
        const { actor } = await ownEvent(d.ds, res, params.id);
        await d.ds.transaction((em) => organiserAction(em, params.id, actor, action, {}));
        return { paused: action === 'pause' };
      },
    );
  act('pause', 'Pause admissions (fans keep their places)');
  act('resume', 'Resume admissions');

  api.route(
    {
      method: 'patch',
      path: '/events/:id/settings',
      summary: 'Change the admission rate or active-shopper cap, live',
      params: EventParams,
      body: Settings,
      response: z.object({ admitRatePerMinute: z.number().int(), maxActiveShoppers: z.number().int() }),
      errors: [403, 404],
      auth: 'session',
      before: guard,
    },
    async ({ params, body, res }) => {
      const { actor } = await ownEvent(d.ds, res, params.id);
      await d.ds.transaction((em) => organiserAction(em, params.id, actor, 'settings', body));
      const e = (await findEvent(d.ds, params.id))!;
      return { admitRatePerMinute: e.admit_rate_per_minute, maxActiveShoppers: e.max_active_shoppers };
    },
  );

  api.route(
    {
      method: 'get',
      path: '/events/:id/stats',
      summary: 'Queue figures for the organiser',
      params: EventParams,
      response: QueueStats,
      errors: [403, 404],
      auth: 'session',
      before: guard,
    },
    async ({ params, res }) => {
      const { event } = await ownEvent(d.ds, res, params.id);
      const c = await fanCounts(d.ds, params.id);
      const n = (v: string | undefined) => Number(v ?? 0);
      return {
        servingNumber: event.serving,
        lastNumber: event.last_number,
        waiting: n(c?.waiting),
        turn: n(c?.turn),
        parked: n(c?.parked),
        admitted: n(c?.admitted),
        lapsed: n(c?.lapsed),
        active: n(c?.active),
        admitRatePerMinute: event.admit_rate_per_minute,
        maxActiveShoppers: event.max_active_shoppers,
        measuredRatePerMinute: Math.round(event.measured_rate * 10) / 10,
        paused: event.paused,
        inCarts: event.in_carts,
        soldOut: event.sold_out,
        cancelled: event.cancelled,
      };
    },
  );
}

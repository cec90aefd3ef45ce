import express, { type Express, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  ForbiddenError,
  InputError,
  noContent,
  rateLimit,
  rawBody,
  sessionGuard,
  sessionOf,
  type ApiRouter,
  type RouteSpec,
  type TokenVerifier,
} from '@ticketslave/common';
import { sniffImage, type PosterStore } from '../adapters/poster-store';
import { EventInput } from '../domain/event-rules';
import type { OrganiserEvents } from '../domain/organiser-events';
import type { PublicEvents } from '../domain/public-events';
import { EventAudit, EventDetails, EventList, OrganiserEvent } from './event-views';
import { sendPage, type PageCache } from './page-cache';

const Id = z.object({ id: z.uuid('an event id') });
const MAX_POSTER_BYTES = 5 * 1024 * 1024;

export interface EventRouteDeps {
  organiser: OrganiserEvents;
  publicEvents: PublicEvents;
  sessions: TokenVerifier;
  /** Rendered public pages (list and event page), with their ETags. */
  pages: PageCache;
}

export function registerEventRoutes(api: ApiRouter, d: EventRouteDeps): void {
  const { organiser } = d;
  // Membership and role in the event's organisation are checked by the domain (404 across organisations).
  const guard = sessionGuard(d.sessions, { verifiedEmail: true });
  // Per organiser, after the guard has put the session on res.locals.
  const perUser = rateLimit({
    name: 'organiser-user',
    capacity: 60,
    refillPerSecond: 1,
    key: (req) => (req.res?.locals.session as { sub?: string } | undefined)?.sub,
  });
  const o = { auth: 'session' as const, tags: ['organiser'], before: [guard, perUser] };
  api.servedElsewhere(POSTER_UPLOAD);

  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events',
      summary: 'My events',
      response: z.object({ items: z.array(OrganiserEvent) }),
    },
    async ({ res }) => ({
      items: await organiser.list(sessionOf(res)),
    }),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events',
      summary:
        'Create a draft (in organisationId, or in the only organisation the member may create events in)',
      body: EventInput.extend({ organisationId: z.uuid('an organisation id').optional() }),
      response: OrganiserEvent,
      status: 201,
    },
    ({ body: { organisationId, ...input }, res }) => organiser.create(sessionOf(res), organisationId, input),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events/:id/duplicate',
      summary: 'Copy an event into a new draft of the same organisation',
      params: Id,
      response: OrganiserEvent,
      status: 201,
    },
    ({ params, res }) => organiser.duplicate(sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'delete',
      path: '/organiser/events/:id',
      summary: 'Delete a draft',
      params: Id,
      response: noContent,
    },
    ({ params, res }) => organiser.deleteDraft(sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id',
      summary: 'One of my events',
      params: Id,
      response: OrganiserEvent,
    },
    ({ params, res }) => organiser.get(sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'put',
      path: '/organiser/events/:id',
      summary: 'Edit (published: emits event.updated)',
      params: Id,
      body: EventInput,
      response: OrganiserEvent,
    },
    ({ params, body, res }) => organiser.edit(sessionOf(res), params.id, body),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events/:id/publish',
      summary: 'Publish a draft (emits event.published)',
      params: Id,
      response: OrganiserEvent,
    },
    ({ params, res }) => organiser.publish(sessionOf(res), params.id),
  );
  api.route(
    {
      ...o,
      method: 'post',
      path: '/organiser/events/:id/cancel',
      summary: 'Cancel (emits event.cancelled)',
      params: Id,
      body: z.object({ reason: z.string().trim().min(3, 'say why, in a few words').max(500) }),
      response: OrganiserEvent,
    },
    ({ params, body, res }) => organiser.cancel(sessionOf(res), params.id, body.reason),
  );
  api.route(
    {
      ...o,
      method: 'get',
      path: '/organiser/events/:id/audit',
      summary: 'Audit log',
      params: Id,
      response: EventAudit,
    },
    async ({ params, res }) => ({
      items: await organiser.audit(sessionOf(res), params.id),
    }),
  );

  api.route(
    {
      method: 'get',
      path: '/events',
      summary: 'Upcoming published events',
      tags: ['feed'],
      query: z.object({
        q: z.string().max(100).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(100).default(20),
      }),
      response: EventList,
    },
    async ({ query, req, res }) =>
      sendPage(
        req,
        res,
        await d.pages.get(`list ${JSON.stringify(query)}`, () => d.publicEvents.listTimed(query)),
      ),
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id',
      summary: 'Public event details',
      tags: ['feed'],
      params: Id,
      response: EventDetails,
      errors: [404],
    },
    async ({ params, req, res }) =>
      sendPage(req, res, await d.pages.get(`event ${params.id}`, () => d.publicEvents.getTimed(params.id))),
  );
}

/** The poster upload, declared with the API (its document, the typed clients) and served by `mountPosterUpload`. */
const POSTER_UPLOAD = {
  method: 'post',
  path: '/organiser/events/:id/poster',
  summary: "Upload the event's poster (a JPEG, PNG or WebP image of at most 5 MB, sent as it is)",
  tags: ['organiser'],
  params: Id,
  body: rawBody('image/*', 'The image file itself, with its Content-Type'),
  response: OrganiserEvent,
  errors: [403, 404, 413],
  auth: 'session',
} satisfies RouteSpec<typeof Id, z.ZodType, z.ZodString, typeof OrganiserEvent>;

/** The poster upload takes a raw image body, so it sits before the kit's JSON-only guard and repeats its Origin check. */
export function mountPosterUpload(
  app: Express,
  d: { organiser: OrganiserEvents; sessions: TokenVerifier; posters: PosterStore; allowedOrigin: string },
): void {
  const originCheck: RequestHandler = (req, _res, next) => {
    const origin = req.header('origin');
    next(
      origin && origin !== d.allowedOrigin
        ? new ForbiddenError(`Origin ${origin} may not change state here.`, 'bad_origin')
        : undefined,
    );
  };
  app.post(
    `/feed/api${POSTER_UPLOAD.path}`,
    originCheck,
    sessionGuard(d.sessions, { verifiedEmail: true }),
    express.raw({ type: () => true, limit: MAX_POSTER_BYTES }),
    async (req, res, next) => {
      try {
        const { id } = Id.parse(req.params);
        if (!req.is('image/*'))
          throw new InputError(
            'Send the image itself with Content-Type image/jpeg, image/png or image/webp.',
            [],
            'unsupported_media_type',
          );
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const kind = sniffImage(body);
        if (!kind)
          throw new InputError(
            'The file is not a JPEG, PNG or WebP image.',
            [{ path: 'body', message: 'not an image' }],
            'not_an_image',
          );
        const actor = sessionOf(res);
        await d.organiser.access(actor, id, 'events.write');
        const url = await d.posters.put(id, body, kind.contentType, kind.ext);
        res.json(await d.organiser.setPoster(actor, id, url));
      } catch (err) {
        next(
          err instanceof z.ZodError
            ? new InputError('params.id: an event id', [{ path: 'params.id', message: 'an event id' }])
            : err,
        );
      }
    },
  );
}

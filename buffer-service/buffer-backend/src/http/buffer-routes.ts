import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  AltchaChallenge,
  AltchaPayloadField,
  clientIp,
  sendChunks,
  rateLimit,
  sessionGuard,
  sessionOf,
  type ApiRouter,
  type TokenVerifier,
} from '@ticketslave/common';
import { z } from 'zod';
import type { BufferDomain } from '../domain/buffer';
import { setQueueTicket } from './queue-ticket-cookies';

const EventParams = z.object({ id: z.uuid('the event id must be a UUID') });
const BufferState = z
  .object({
    eventId: z.uuid(),
    state: z.enum(['open', 'closing', 'closed']),
    closesAt: z.iso.datetime(),
    commitment: z.string(),
    cancelled: z.boolean(),
    entrants: z.number().int(),
    total: z.number().int().optional(),
  })
  .meta({ id: 'BufferState' });
/** What anyone needs to recompute the draw (`verifyFairness`, draw-v1). */
const FairnessCommon = {
  eventId: z.uuid(),
  commitment: z.string(),
  seed: z.string(),
  salt: z.string(),
  entrantsDigest: z.string(),
  total: z.number().int(),
  /** Sorted ascending, unique, 64 lowercase hex each. */
  entrantHashes: z.array(z.string()),
};
/** An event closed before draw-v2. */
const FairnessDocumentV1 = z
  .object({
    version: z.literal('draw-v1'),
    ...FairnessCommon,
    /** Hex of the beacon value used, empty when there was none. Not authenticated. */
    beacon: z.string(),
    beaconRound: z.number().int().nullable().optional(),
  })
  .meta({ id: 'FairnessDocumentV1' });
/** draw-v2: the drand round with the chain that signed it, and the join receipts' keys (docs/fairness.md). */
const FairnessDocumentV2 = z
  .object({
    version: z.literal('draw-v2'),
    ...FairnessCommon,
    closedAt: z.string(),
    beacon: z.object({
      chain: z.object({
        public_key: z.string(),
        period: z.number(),
        genesis_time: z.number(),
        hash: z.string(),
        groupHash: z.string(),
        schemeID: z.string(),
        metadata: z.object({ beaconID: z.string() }),
      }),
      round: z.number().int(),
      signature: z.string(),
      previous_signature: z.string().optional(),
      randomness: z.string(),
    }),
    receiptKeys: z.object({
      issuer: z.string(),
      jwksUrl: z.string(),
      keys: z.array(
        z.object({
          kty: z.string(),
          crv: z.string().optional(),
          x: z.string().optional(),
          kid: z.string().optional(),
          alg: z.string().optional(),
          use: z.string().optional(),
        }),
      ),
    }),
  })
  .meta({ id: 'FairnessDocumentV2' });
/** What anyone needs to recompute the draw (`verifyDraw` in libs/draw). */
const FairnessDocument = z
  .discriminatedUnion('version', [FairnessDocumentV1, FairnessDocumentV2])
  .meta({ id: 'FairnessDocument' });
const EntryView = z
  .object({
    eventId: z.uuid(),
    joinedAt: z.iso.datetime(),
    late: z.boolean(),
    queueNumber: z.number().int().nullable(),
  })
  .meta({ id: 'Entry' });

export interface BufferRouteDeps {
  domain: BufferDomain;
  sessions: TokenVerifier;
  cookieSecure: boolean;
  /** Join limits; generous per IP because a venue's Wi-Fi or a carrier NAT shares one. */
  limits?: { perUser: [number, number]; perIp: [number, number] };
}

export function registerBufferRoutes(api: ApiRouter, deps: BufferRouteDeps): void {
  const { domain } = deps;
  const limits = deps.limits ?? { perUser: [10, 0.5], perIp: [600, 100] };
  const fan = sessionGuard(deps.sessions, { verifiedEmail: true });
  const perIp = rateLimit({
    name: 'buffer-ip',
    capacity: limits.perIp[0],
    refillPerSecond: limits.perIp[1],
    key: (req) => clientIp(req),
  });
  const perUser = rateLimit({
    name: 'join-user',
    capacity: limits.perUser[0],
    refillPerSecond: limits.perUser[1],
    key: (req) => (req.res?.locals.session as { sub?: string } | undefined)?.sub,
  });

  api.route(
    {
      method: 'get',
      path: '/events/:id',
      summary: "The buffer's state and commitment",
      params: EventParams,
      response: BufferState,
      auth: 'none',
    },
    ({ params }) => domain.publicState(params.id),
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id/challenge',
      summary:
        "A proof-of-work challenge for one join, at the event's difficulty (ALTCHA; the widget solves it)",
      params: EventParams,
      response: AltchaChallenge,
      auth: 'none',
      before: [perIp],
    },
    ({ params, res }) => {
      res.setHeader('Cache-Control', 'no-store');
      return domain.joinChallenge(params.id);
    },
  );
  api.route(
    {
      method: 'post',
      path: '/events/:id/entries',
      summary:
        'Join the buffer (idempotent per fan; each call costs a solved challenge, `altcha`); answers the entry and a signed join receipt',
      params: EventParams,
      body: z.object({ altcha: AltchaPayloadField }),
      response: z.object({ entry: EntryView, receipt: z.string() }),
      status: 201,
      auth: 'session',
      before: [perIp, fan, perUser],
    },
    ({ params, body, res }) => domain.join(params.id, sessionOf(res), body.altcha),
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id/entries/me',
      summary: 'My entry; sets the queue ticket cookie once I have a number',
      params: EventParams,
      response: EntryView,
      auth: 'session',
      before: [fan],
    },
    async ({ params, req, res }) => {
      const { entry, ticket } = await domain.myEntry(params.id, sessionOf(res).sub);
      if (ticket)
        setQueueTicket(req, res, {
          eventId: params.id,
          token: ticket.token,
          expires: ticket.expires,
          secure: deps.cookieSecure,
          now: new Date(),
        });
      return entry;
    },
  );
  api.route(
    {
      method: 'get',
      path: '/entries/me',
      summary:
        'My places in every event not cancelled whose show is ahead ("My queues"): numbered, or waiting for the draw',
      response: z.object({ entries: z.array(EntryView) }),
      errors: [403],
      auth: 'session',
      before: [fan],
    },
    async ({ res }) => ({ entries: await domain.myEntries(sessionOf(res).sub) }),
  );
  api.route(
    {
      method: 'post',
      path: '/events/:id/close',
      summary: "Close the buffer now (the event's organiser or an admin); the draw follows within seconds",
      params: EventParams,
      response: BufferState,
      status: 202,
      auth: 'session',
      before: [perIp, sessionGuard(deps.sessions, { verifiedEmail: true, roles: ['organiser', 'admin'] })],
    },
    ({ params, res }) => domain.requestClose(params.id, sessionOf(res)),
  );
  api.route(
    {
      method: 'get',
      path: '/events/:id/fairness',
      summary:
        'Everything needed to recompute the draw (after the close; 409 with the commitment before). Built once and served from storage: strong ETag, cached for a year, 304 on If-None-Match',
      params: EventParams,
      response: FairnessDocument,
      errors: [404, 409],
      auth: 'none',
    },
    async ({ params, req, res }) => {
      const doc = await domain.fairnessDocument(params.id);
      if (etagMatches(req.get('if-none-match'), doc.etag)) {
        res.set({ ETag: doc.etag, 'Cache-Control': 'public, max-age=31536000, immutable' });
        res.status(304).end();
        return;
      }
      if (doc.location) {
        // The stored object itself (CloudFront's /fairness/* in AWS): its bytes, ETag, 304s and
        // caching cost the buffer nothing. 100 concurrent full GETs of a million-entrant document
        // passed through here took 38.9 s of the buffer's CPU in bench:queue (6 of them failed).
        res.set('Cache-Control', 'public, max-age=86400');
        res.redirect(302, doc.location);
        return;
      }
      res.set({
        ETag: doc.etag,
        'Cache-Control': 'public, max-age=31536000, immutable',
        Vary: 'Accept-Encoding',
      });
      const gzipped = await doc.gzip();
      const acceptsGzip = /\bgzip\b/.test(req.get('accept-encoding') ?? '');
      await sendChunks(
        res,
        {
          'Content-Type': 'application/json; charset=utf-8',
          ...(acceptsGzip ? { 'Content-Encoding': 'gzip' } : {}),
        },
        // Stored compressed: most clients take the bytes as they are; the rest get them inflated.
        acceptsGzip ? gzipped : Readable.from(gzipped).pipe(createGunzip()),
      );
    },
  );
}

/** If-None-Match holds this strong ETag (or `*`); weak forms compare equal too, as RFC 9110 says for GET. */
function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

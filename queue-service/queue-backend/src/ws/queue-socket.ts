import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DataSource } from 'typeorm';
import {
  cookiesOf,
  ForbiddenError,
  KeyedBatcher,
  queueTicketCookie,
  WS_CLOSE,
  wsEndpoint,
  type Logger,
  type TokenVerifier,
  type UpgradeRouter,
} from '@ticketslave/common';
import { z } from 'zod';
import { claimBy } from '../domain/admission-rules';
import { findEvent } from '../data/event-store';
import { connectFans, disconnectFan, type FanRow } from '../data/fan-store';
import type { QueueServerMessage } from '@ticketslave/contracts';
import { send, type FanSocket, type SocketHub } from './socket-hub';
import type { ProgressRelay } from './progress-relay';

export interface QueueSocketDeps {
  ds: DataSource;
  upgrades: UpgradeRouter;
  logger: Logger;
  publicBaseUrl: string;
  tickets: TokenVerifier;
  hub: SocketHub;
  progress: ProgressRelay;
  minClaimSeconds: number;
}

interface Principal {
  eventId: string;
  userId: string;
  queueNumber: number;
}

/**
 * Authenticates by the queue ticket alone (signature, expiry, event), never a user
 * id from the URL, so reconnect storms cost no database read before the upgrade.
 */
export async function authenticateFan(req: IncomingMessage, tickets: TokenVerifier): Promise<Principal> {
  const eventId = z.uuid().safeParse(new URL(req.url ?? '/', 'http://x').searchParams.get('event'));
  if (!eventId.success)
    throw new ForbiddenError('Open the queue of an event: ?event=<id>.', 'event_required');
  const claims = await tickets.verify('queueTicket', cookiesOf(req)[queueTicketCookie(eventId.data)]);
  if (claims.evt !== eventId.data)
    throw new ForbiddenError('This queue ticket is for another event.', 'wrong_event');
  return { eventId: eventId.data, userId: claims.sub, queueNumber: claims.qn };
}

/**
 * Greetings of one event's sockets go to the database together: the presence of every
 * socket that connected while the previous batch was there, one event read. 15,000
 * sockets opening within half a minute were 45,000 queries in the pool's queue, and the
 * admitter's ticks (and so turns and progress) waited seconds behind them.
 */
const MAX_GREETING_BATCH = 1000;

export function queueSocket(d: QueueSocketDeps) {
  const greetings = new KeyedBatcher<
    { userId: string; connId: string; connectedAt: number },
    { fan: FanRow | undefined; event: Awaited<ReturnType<typeof findEvent>> }
  >(
    async (eventId, sockets) => {
      const fans = await connectFans(d.ds, eventId, sockets);
      const event = await findEvent(d.ds, eventId);
      return sockets.map((s) => ({ fan: fans.get(s.userId), event }));
    },
    { maxBatch: MAX_GREETING_BATCH, inFlightPerKey: 1 },
  );

  const onConnection = (ws: FanSocket['ws'], p: Principal) => {
    // Sub-millisecond, so two tabs opened together still have an order (see replacedElsewhere).
    const s: FanSocket = {
      ws,
      ...p,
      connId: randomUUID(),
      connectedAt: performance.timeOrigin + performance.now(),
    };
    d.hub.add(s);
    let registered = false;
    ws.on('close', () => {
      d.hub.remove(s);
      if (registered) void disconnectFan(d.ds, p.eventId, p.userId, s.connId).catch(logErr);
    });
    const logErr = (err: unknown) => d.logger.warn({ err }, 'queue socket presence update failed');
    void greet(s)
      .then(() => {
        registered = true;
        // Closed while we were greeting: take the presence back.
        if (ws.readyState !== ws.OPEN) void disconnectFan(d.ds, p.eventId, p.userId, s.connId).catch(logErr);
      })
      .catch((err: unknown) => {
        d.logger.error({ err }, 'queue socket greeting failed');
        ws.close(1011, 'internal error');
      });
  };

  const greet = async (s: FanSocket) => {
    const { fan, event } = await greetings.submit(s.eventId, {
      userId: s.userId,
      connId: s.connId,
      connectedAt: s.connectedAt,
    });
    const latest = d.progress.latest(s.eventId);
    const serving = Math.max(event?.serving ?? 0, latest?.servingNumber ?? 0);
    const lastNumber = Math.max(event?.last_number ?? 0, latest?.lastNumber ?? 0);
    const grace = event?.away_grace_seconds ?? 0;
    const status = fan?.status ?? 'waiting';
    const turnBy =
      fan?.turn_at && (status === 'turn' || status === 'parked')
        ? claimBy(new Date(fan.turn_at), grace, d.minClaimSeconds).toISOString()
        : null;
    const paused = Boolean(event && (event.paused || event.in_carts));
    const hello: QueueServerMessage = {
      type: 'hello',
      eventId: s.eventId,
      queueNumber: fan?.queue_number ?? s.queueNumber,
      status,
      claimBy: turnBy,
      cancelled: event?.cancelled ?? false,
      pauseReason: !event ? null : event.paused ? 'organiser' : event.in_carts ? 'in_carts' : null,
      available: event?.available ?? null,
      servingNumber: serving,
      waiting: Math.max(0, lastNumber - serving),
      parked: latest?.parked ?? 0,
      admitRatePerMinute: event?.admit_rate_per_minute ?? 0,
      measuredRatePerMinute: Math.round((event?.measured_rate ?? 0) * 10) / 10,
      lastNumber,
      paused,
      soldOut: event?.sold_out ?? false,
      saleStartsAt: event?.sale_starts_at ? new Date(event.sale_starts_at).toISOString() : null,
    };
    send(s.ws, hello);
    if (status === 'turn' && turnBy) send(s.ws, { type: 'your_turn', claimBy: turnBy });
    if (status === 'lapsed') {
      send(s.ws, { type: 'lapsed' });
      s.ws.close(WS_CLOSE.turnLapsed, 'turn lapsed');
    }
  };

  return wsEndpoint<Principal>({
    path: '/queue/ws',
    upgrades: d.upgrades,
    logger: d.logger,
    allowedOrigins: [d.publicBaseUrl],
    authenticate: (req) => authenticateFan(req, d.tickets),
    onConnection,
  });
}

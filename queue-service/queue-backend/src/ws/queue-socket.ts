import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DataSource } from 'typeorm';
import {
  cookiesOf,
  ForbiddenError,
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
import { connectFan, disconnectFan } from '../data/fan-store';
import type { QueueServerMessage } from '../domain/ws-messages';
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

export function queueSocket(d: QueueSocketDeps) {
  const onConnection = (ws: FanSocket['ws'], p: Principal) => {
    const s: FanSocket = { ws, ...p, connId: randomUUID(), connectedAt: Date.now() };
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
    const fan = await connectFan(d.ds, s.eventId, s.userId, s.connId);
    const event = await findEvent(d.ds, s.eventId);
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

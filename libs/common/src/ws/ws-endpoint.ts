import type { IncomingMessage } from 'node:http';
import { parse as parseCookie } from 'cookie';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_CLOSE } from '@ticketslave/contracts';
import { AppError, ForbiddenError } from '../errors';
import type { Logger } from '../logger';
import type { UpgradeRouter } from './upgrade-router';

/**
 * Close codes of every WebSocket endpoint (`WS_CLOSE`, in the contracts package the frontends that
 * explain them import too). Refusals close after the handshake: browsers cannot read a failed upgrade's status.
 */
export { WS_CLOSE };

export const cookiesOf = (req: IncomingMessage): Record<string, string | undefined> =>
  parseCookie(req.headers.cookie ?? '');

export interface WsEndpointOptions<P> {
  path: string;
  upgrades: UpgradeRouter;
  logger: Logger;
  /** Allowed Origin values; browsers always send Origin on WebSocket upgrades. */
  allowedOrigins: string[];
  /** Resolves the principal from the upgrade request (cookies); throws AuthError/ForbiddenError to refuse. */
  authenticate: (req: IncomingMessage) => Promise<P>;
  onConnection: (ws: WebSocket, principal: P, req: IncomingMessage) => void;
  heartbeatMs?: number;
  maxPayload?: number;
}

/**
 * A WebSocket endpoint with auth at upgrade and heartbeats. A refused client still
 * gets a completed handshake and then a close code (4401/4403/4404), because browsers
 * cannot read the HTTP status of a failed upgrade.
 */
export function wsEndpoint<P>(opts: WsEndpointOptions<P>): {
  wss: WebSocketServer;
  start(): Promise<void>;
  stop(): Promise<void>;
  name: string;
} {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxPayload ?? 16 * 1024,
    perMessageDeflate: false,
    clientTracking: true,
  });
  const alive = new WeakMap<WebSocket, boolean>();
  const allowed = new Set(opts.allowedOrigins.map((o) => new URL(o).origin));
  let timer: NodeJS.Timeout | undefined;

  const handle = (req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const origin = req.headers.origin;
      const refuse = (code: number, reason: string) => ws.close(code, reason.slice(0, 120));
      if (origin && !allowed.has(origin)) return refuse(WS_CLOSE.forbidden, 'origin not allowed');
      opts
        .authenticate(req)
        .then((principal) => {
          if (ws.readyState !== ws.OPEN) return;
          alive.set(ws, true);
          ws.on('pong', () => alive.set(ws, true));
          ws.on('error', (err) => opts.logger.debug({ err }, 'websocket error'));
          opts.onConnection(ws, principal, req);
        })
        .catch((err: unknown) => {
          if (err instanceof ForbiddenError) return refuse(WS_CLOSE.forbidden, err.message);
          if (err instanceof AppError && err.status === 401)
            return refuse(WS_CLOSE.unauthenticated, err.message);
          if (err instanceof AppError && err.status === 403) return refuse(WS_CLOSE.forbidden, err.message);
          if (err instanceof AppError && err.status === 404) return refuse(WS_CLOSE.notFound, err.message);
          opts.logger.error({ err }, 'websocket authentication failed');
          refuse(1011, 'internal error');
        });
    });
  };

  return {
    name: `ws:${opts.path}`,
    wss,
    start: async () => {
      opts.upgrades.register(opts.path, handle, () => {
        for (const client of wss.clients) client.close(WS_CLOSE.goingAway, 'server shutting down');
      });
      timer = setInterval(() => {
        for (const client of wss.clients) {
          if (alive.get(client) === false) {
            client.terminate();
            continue;
          }
          alive.set(client, false);
          client.ping();
        }
      }, opts.heartbeatMs ?? 25_000);
      timer.unref();
    },
    stop: async () => {
      clearInterval(timer);
      for (const client of wss.clients) client.close(WS_CLOSE.goingAway, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

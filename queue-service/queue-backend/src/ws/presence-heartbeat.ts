import type { DataSource } from 'typeorm';
import type { Logger, Part } from '@ticketslave/common';
import { heartbeat } from '../data/fan-store';
import type { SocketHub } from './socket-hub';

/**
 * Keeps `last_seen_at` fresh for the sockets this instance holds. If the instance
 * dies, its fans go stale within seconds and count as away, wherever the admitter runs.
 * It also records presence for sockets that connected before their fan's row existed,
 * and gives a parked turn back to a fan whose socket is live (see `heartbeat`).
 */
export function presenceHeartbeat(opts: {
  ds: DataSource;
  hub: SocketHub;
  logger: Logger;
  everyMs: number;
  minClaimSeconds: number;
}): Part {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'presence-heartbeat',
    start: async () => {
      timer = setInterval(() => {
        const sockets = opts.hub.presences();
        void (async () => {
          for (let i = 0; i < sockets.length; i += 5000) {
            const chunk = sockets.slice(i, i + 5000);
            await opts.ds.transaction((em) => heartbeat(em, chunk, opts.minClaimSeconds));
          }
        })().catch((err: unknown) => opts.logger.warn({ err }, 'presence heartbeat failed'));
      }, opts.everyMs);
      timer.unref();
    },
    stop: async () => clearInterval(timer),
  };
}

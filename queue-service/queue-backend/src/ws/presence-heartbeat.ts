import type { DataSource } from 'typeorm';
import type { Logger, Part } from '@ticketslave/common';
import { heartbeat } from '../data/fan-store';
import type { SocketHub } from './socket-hub';

/**
 * Keeps `last_seen_at` fresh for the sockets this instance holds. If the instance
 * dies, its fans go stale within seconds and count as away, wherever the admitter runs.
 */
export function presenceHeartbeat(opts: {
  ds: DataSource;
  hub: SocketHub;
  logger: Logger;
  everyMs: number;
}): Part {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'presence-heartbeat',
    start: async () => {
      timer = setInterval(() => {
        const ids = opts.hub.connIds();
        void (async () => {
          for (let i = 0; i < ids.length; i += 5000) await heartbeat(opts.ds, ids.slice(i, i + 5000));
        })().catch((err: unknown) => opts.logger.warn({ err }, 'presence heartbeat failed'));
      }, opts.everyMs);
      timer.unref();
    },
    stop: async () => clearInterval(timer),
  };
}

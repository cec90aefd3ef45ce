import { Client } from 'pg';
import { WS_CLOSE, type Logger, type Part } from '@ticketslave/common';
import { FAN_CHANNEL, type FanSignal } from '../data/fan-signals-sql';
import type { SocketHub } from './socket-hub';

/**
 * Hears per-fan signals (turns, lapses, replacements, cancellations) committed by any
 * instance and delivers them to the sockets held here. Turns arrive on commit, so
 * they reach fans before the next `queue.progress` broadcast.
 */
export function fanSignalListener(opts: { databaseUrl: string; hub: SocketHub; logger: Logger }): Part {
  let client: Client | null = null;
  let running = false;
  let retry: NodeJS.Timeout | undefined;

  const deliver = (s: FanSignal) => {
    switch (s.t) {
      case 'turn':
        opts.hub.sendToFan(s.e, s.u, { type: 'your_turn', claimBy: s.c });
        break;
      case 'lapsed':
        opts.hub.sendToFan(s.e, s.u, { type: 'lapsed' }, WS_CLOSE.turnLapsed);
        break;
      case 'replaced':
        opts.hub.replacedElsewhere(s.e, s.u, s.c, s.a);
        break;
      case 'cancelled':
        opts.hub.broadcast(s.e, { type: 'cancelled' });
        break;
    }
  };

  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: opts.databaseUrl, application_name: 'queue-fan-signals' });
    c.on('notification', (n) => {
      try {
        for (const s of JSON.parse(n.payload ?? '[]') as FanSignal[]) deliver(s);
      } catch (err) {
        opts.logger.warn({ err }, 'bad fan signal');
      }
    });
    c.on('error', (err) => {
      opts.logger.warn({ err }, 'fan signal connection lost; reconnecting');
      void c.end().catch(() => undefined);
      if (client === c) client = null;
      schedule();
    });
    await c.connect();
    await c.query(`LISTEN ${FAN_CHANNEL}`);
    client = c;
  };

  const schedule = () => {
    if (!running) return;
    clearTimeout(retry);
    retry = setTimeout(() => {
      connect().catch((err: unknown) => {
        opts.logger.warn({ err }, 'fan signal reconnect failed');
        schedule();
      });
    }, 1000);
  };

  return {
    name: 'fan-signals',
    start: async () => {
      running = true;
      await connect();
    },
    stop: async () => {
      running = false;
      clearTimeout(retry);
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}

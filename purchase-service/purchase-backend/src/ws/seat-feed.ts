import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import {
  ForbiddenError,
  NotFoundError,
  wsEndpoint,
  type Logger,
  type Part,
  type UpgradeRouter,
} from '@ticketslave/common';
import type { SeatFeedMessage } from '@ticketslave/contracts';
import type { UnitState, UnitStore } from '../domain/ports';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One seat-feed message on the wire, typed by the contract the seat map page reads. */
const encode = (message: SeatFeedMessage): string => JSON.stringify(message);

/**
 * Change sequence numbers are taken before commit, so a change can become visible
 * after a higher one was already read. Re-reading a window behind the last seen
 * number (and pushing only real differences) catches those late commits.
 */
const LOOKBACK = 2000;
/** Changes read per poll once primed (the first read takes the whole event). */
const CHANGES_PER_POLL = 20_000;
/** Events known to exist, remembered so a reconnect storm costs no database read. */
const KNOWN_EVENTS_KEPT = 10_000;

interface Watched {
  sockets: Set<WebSocket>;
  lastSeq: number;
  states: Map<string, UnitState>;
  primed: boolean;
}

/**
 * Live seat maps: `/purchase/ws?event=<id>` pushes `{type:'seats', changes:[[unitId, state]…]}`.
 * Each instance polls the database for the events its own sockets watch, so every
 * change, whichever instance made it, reaches every fan; one poll per event per
 * tick, however many fans watch it, coalesces bursts into one message. An id that is
 * not an event is closed with 4404 at once: every watched id costs a poll per tick, so
 * thousands of sockets on made-up ids were thousands of queries per tick.
 */
export function seatFeed(opts: {
  units: UnitStore;
  /** Whether purchase knows this event (its inventory was built). */
  eventExists: (eventId: string) => Promise<boolean>;
  upgrades: UpgradeRouter;
  logger: Logger;
  allowedOrigins: string[];
  pollMs: number;
}): Part[] {
  const watched = new Map<string, Watched>();
  const known = new Set<string>();
  const exists = async (eventId: string) => {
    if (known.has(eventId)) return true;
    if (!(await opts.eventExists(eventId))) return false;
    if (known.size >= KNOWN_EVENTS_KEPT) known.clear();
    known.add(eventId);
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | null = null;

  const endpoint = wsEndpoint<{ eventId: string }>({
    path: '/purchase/ws',
    upgrades: opts.upgrades,
    logger: opts.logger,
    allowedOrigins: opts.allowedOrigins,
    authenticate: async (req: IncomingMessage) => {
      // Seat states are public (the seat map is); only the event id is checked.
      const eventId = new URL(req.url ?? '/', 'http://x').searchParams.get('event') ?? '';
      if (!UUID.test(eventId)) throw new ForbiddenError('?event=<event id> is required.');
      if (!(await exists(eventId.toLowerCase())))
        throw new NotFoundError('There is no sale for this event.', 'event_not_found');
      return { eventId: eventId.toLowerCase() };
    },
    onConnection: (ws, { eventId }) => {
      let w = watched.get(eventId);
      if (!w) {
        w = { sockets: new Set(), lastSeq: 0, states: new Map(), primed: false };
        watched.set(eventId, w);
      }
      w.sockets.add(ws);
      ws.send(encode({ type: 'hello', eventId }));
      ws.on('close', () => {
        w.sockets.delete(ws);
        if (w.sockets.size === 0) watched.delete(eventId);
      });
    },
  });

  const pollOnce = async () => {
    for (const [eventId, w] of watched) {
      const changes = w.primed
        ? await opts.units.changesSince(eventId, Math.max(0, w.lastSeq - LOOKBACK), CHANGES_PER_POLL)
        : await opts.units.changesSince(eventId, 0, null);
      const diff: [string, UnitState][] = [];
      for (const c of changes) {
        w.lastSeq = Math.max(w.lastSeq, c.seq);
        if (w.states.get(c.unitId) !== c.state) {
          if (w.primed) diff.push([c.unitId, c.state]);
          w.states.set(c.unitId, c.state);
        }
      }
      w.primed = true;
      if (diff.length === 0) continue;
      const msg = encode({ type: 'seats', changes: diff });
      for (const ws of w.sockets) if (ws.readyState === ws.OPEN) ws.send(msg);
    }
  };
  const loop = () => {
    polling = pollOnce()
      .catch((err: unknown) => opts.logger.warn({ err }, 'seat feed poll failed'))
      .finally(() => {
        polling = null;
        timer = setTimeout(loop, opts.pollMs);
      });
  };

  return [
    {
      name: 'seat-feed-poller',
      start: () => {
        timer = setTimeout(loop, opts.pollMs);
        return Promise.resolve();
      },
      stop: async () => {
        clearTimeout(timer);
        await polling;
        clearTimeout(timer);
      },
    },
    endpoint,
  ];
}

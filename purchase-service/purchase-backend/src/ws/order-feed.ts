import type { IncomingMessage } from 'node:http';
import { Client } from 'pg';
import type { WebSocket } from 'ws';
import {
  cookiesOf,
  ForbiddenError,
  NotFoundError,
  TOKENS,
  wsEndpoint,
  type Logger,
  type Part,
  type Queryable,
  type TokenVerifier,
  type UpgradeRouter,
} from '@ticketslave/common';
import type { OrderFeedMessage } from '@ticketslave/contracts';
import type { OrderState, OrderStore } from '../domain/ports';

/** The PostgreSQL channel on which every instance hears which orders changed (ids, comma-separated). */
export const ORDER_CHANNEL = 'purchase_order_changes';
/** A NOTIFY payload must stay under 8,000 bytes: 36-byte ids and commas. */
const IDS_PER_NOTIFY = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tells every instance's order feed that orders changed, after the commit that changed them.
 * Not inside the transaction: a NOTIFY there serialises commits server-wide (see
 * coalescedOutboxNotify). Ids are gathered for `delayMs` and sent together; a notification
 * lost to a crash costs the fan nothing but speed (the page still polls, slowly).
 */
export function orderChangeNotifier(db: Queryable, logger: Logger, delayMs = 10): (orderId: string) => void {
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    const ids = [...pending];
    pending = new Set();
    for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY)
      db.query('SELECT pg_notify($1, $2)', [ORDER_CHANNEL, ids.slice(i, i + IDS_PER_NOTIFY).join(',')]).catch(
        (err: unknown) => logger.warn({ err }, 'order change notify failed'),
      );
  };
  return (orderId) => {
    pending.add(orderId);
    timer ??= setTimeout(flush, delayMs);
  };
}

interface Watcher {
  ws: WebSocket;
  /** What this socket was last told, so a notification that changed nothing sends nothing. */
  last: string;
}

const encode = (s: OrderState): string =>
  JSON.stringify({
    type: 'order',
    orderId: s.orderId,
    status: s.status,
    reason: s.reason,
  } satisfies OrderFeedMessage);

/**
 * `/purchase/ws/orders?order=<id>`: the fan's own order, pushed. The socket gets the order's
 * state at once and again whenever it changes (tickets issued, cancelled, paid…), whichever
 * instance made the change: each instance LISTENs on `ORDER_CHANNEL` and reads the states of
 * the changed orders its own sockets watch, one query per burst of notifications. Nothing is
 * polled: a thousand fans on the payment page cost nothing until their orders change.
 * Refusals: no or a bad session 4401, no order id 4403, an order that is not the fan's 4404.
 */
export function orderFeed(opts: {
  orders: Pick<OrderStore, 'statuses'>;
  sessions: TokenVerifier;
  databaseUrl: string;
  upgrades: UpgradeRouter;
  logger: Logger;
  allowedOrigins: string[];
  /** How long changed ids are gathered before their states are read. */
  coalesceMs?: number;
}): Part[] {
  const watched = new Map<string, Set<Watcher>>();
  const changed = new Set<string>();
  let reading: Promise<void> | null = null;
  let readTimer: NodeJS.Timeout | null = null;
  let client: Client | null = null;
  let running = false;
  let reconnectTimer: NodeJS.Timeout | null = null;

  const push = (states: OrderState[]) => {
    for (const s of states) {
      const msg = encode(s);
      for (const w of watched.get(s.orderId) ?? []) {
        if (w.last === msg || w.ws.readyState !== w.ws.OPEN) continue;
        w.last = msg;
        w.ws.send(msg);
      }
    }
  };

  /** Reads the changed orders that someone here watches, and pushes what changed. */
  const readChanged = () => {
    readTimer = null;
    if (reading) return; // the read in flight schedules the next one
    const ids = [...changed].filter((id) => watched.has(id));
    changed.clear();
    if (ids.length === 0) return;
    reading = opts.orders
      .statuses(ids)
      .then(push)
      .catch((err: unknown) => {
        opts.logger.warn({ err }, 'order feed read failed');
        for (const id of ids) changed.add(id);
      })
      .finally(() => {
        reading = null;
        if (changed.size) readTimer ??= setTimeout(readChanged, opts.coalesceMs ?? 5);
      });
  };
  const noteChanged = (ids: Iterable<string>) => {
    for (const id of ids) if (watched.has(id)) changed.add(id);
    if (changed.size) readTimer ??= setTimeout(readChanged, opts.coalesceMs ?? 5);
  };

  const listen = async () => {
    const c = new Client({ connectionString: opts.databaseUrl, application_name: 'purchase-order-feed' });
    c.on('notification', (n) => noteChanged((n.payload ?? '').split(',').map((id) => id.toLowerCase())));
    c.on('error', (err) => {
      opts.logger.warn({ err }, 'order feed connection lost; reconnecting');
      if (client === c) client = null;
      c.end().catch(() => undefined);
      scheduleReconnect();
    });
    await c.connect();
    await c.query(`LISTEN ${ORDER_CHANNEL}`);
    client = c;
    // Changes made while no connection listened were not heard: read every watched order once.
    noteChanged(watched.keys());
  };
  const scheduleReconnect = () => {
    if (!running || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      listen().catch((err: unknown) => {
        opts.logger.warn({ err }, 'order feed could not listen; retrying');
        scheduleReconnect();
      });
    }, 1000);
  };

  const endpoint = wsEndpoint<OrderState>({
    path: '/purchase/ws/orders',
    upgrades: opts.upgrades,
    logger: opts.logger,
    allowedOrigins: opts.allowedOrigins,
    authenticate: async (req: IncomingMessage) => {
      const claims = await opts.sessions.verify('session', cookiesOf(req)[TOKENS.session.cookie]);
      const orderId = new URL(req.url ?? '/', 'http://x').searchParams.get('order') ?? '';
      if (!UUID.test(orderId)) throw new ForbiddenError('?order=<order id> is required.', 'order_required');
      const [state] = await opts.orders.statuses([orderId.toLowerCase()]);
      if (!state || state.userId !== claims.sub) throw new NotFoundError('No such order.', 'order_not_found');
      return state;
    },
    onConnection: (ws, state) => {
      const w: Watcher = { ws, last: encode(state) };
      let set = watched.get(state.orderId);
      if (!set) watched.set(state.orderId, (set = new Set()));
      set.add(w);
      ws.send(w.last);
      // A change committed between the authentication's read and now was heard for nobody.
      noteChanged([state.orderId]);
      ws.on('close', () => {
        set.delete(w);
        if (set.size === 0) watched.delete(state.orderId);
      });
    },
  });

  return [
    {
      name: 'order-feed-listener',
      start: async () => {
        running = true;
        await listen();
      },
      stop: async () => {
        running = false;
        if (reconnectTimer) clearTimeout(reconnectTimer);
        if (readTimer) clearTimeout(readTimer);
        await reading;
        await client?.end().catch(() => undefined);
        client = null;
      },
    },
    endpoint,
  ];
}

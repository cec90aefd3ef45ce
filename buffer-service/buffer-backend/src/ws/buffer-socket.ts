import { ForbiddenError, wsEndpoint, type Logger, type Part, type UpgradeRouter } from '@ticketslave/common';
import type { BufferSocketMessage } from '@ticketslave/contracts';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { BufferStore } from '../domain/ports';

const EventId = z.uuid();

/**
 * Pushes buffer state changes. Each instance watches the database for the events its
 * own sockets follow, so a close run by another instance reaches every fan without
 * any instance-to-instance messaging; the watch is one primary-key read per event per tick.
 */
export function bufferSocketPart(deps: {
  upgrades: UpgradeRouter;
  logger: Logger;
  store: BufferStore;
  allowedOrigins: string[];
  watchMs?: number;
}): Part {
  const followers = new Map<string, Set<WebSocket>>();
  const lastSent = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const stateMessage = async (eventId: string): Promise<BufferSocketMessage | null> => {
    const e = await deps.store.getEvent(eventId);
    if (!e) return null;
    return {
      type: 'state',
      state: e.state,
      closesAt: (e.closedAt ?? e.closesAt).toISOString(),
      total: e.state === 'closed' ? e.total : null,
    };
  };
  const send = (ws: WebSocket, msg: BufferSocketMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };

  const watch = async () => {
    for (const [eventId, sockets] of followers) {
      const msg = await stateMessage(eventId).catch(() => null);
      if (!msg || msg.type !== 'state') continue;
      const key = JSON.stringify(msg);
      const before = lastSent.get(eventId);
      if (before === key) continue;
      lastSent.set(eventId, key);
      for (const ws of sockets) {
        send(ws, msg);
        if (msg.state === 'closed') send(ws, { type: 'assigned' });
      }
    }
  };

  const endpoint = wsEndpoint<{ eventId: string }>({
    path: '/buffer/ws',
    upgrades: deps.upgrades,
    logger: deps.logger,
    allowedOrigins: deps.allowedOrigins,
    authenticate: async (req) => {
      // The buffer's state is public; the socket only needs to know which event to follow.
      const parsed = EventId.safeParse(new URL(req.url ?? '/', 'http://x').searchParams.get('event'));
      if (!parsed.success) throw new ForbiddenError('Follow an event: /buffer/ws?event=<event id>.');
      return { eventId: parsed.data };
    },
    onConnection: (ws, { eventId }) => {
      const set = followers.get(eventId) ?? new Set<WebSocket>();
      followers.set(eventId, set);
      set.add(ws);
      ws.on('close', () => {
        set.delete(ws);
        if (set.size === 0) {
          followers.delete(eventId);
          lastSent.delete(eventId);
        }
      });
      void stateMessage(eventId).then((msg) => {
        if (!msg) return ws.close(4404, 'no such event');
        send(ws, msg);
        if (msg.type === 'state' && msg.state === 'closed') send(ws, { type: 'assigned' });
      });
    },
  });

  return {
    name: 'buffer-socket',
    start: async () => {
      stopped = false;
      await endpoint.start();
      const loop = () => {
        if (stopped) return;
        timer = setTimeout(() => void watch().finally(loop), deps.watchMs ?? 1000);
      };
      loop();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await endpoint.stop();
    },
  };
}

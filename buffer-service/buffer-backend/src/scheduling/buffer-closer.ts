import type { Clock, Logger, Part } from '@ticketslave/common';
import type { BufferDomain } from '../domain/buffer';
import type { BufferStore } from '../domain/ports';

/**
 * Finds buffers due to close (and closes a crash left half-done) every tick. Any
 * number of instances may run it: the state machine in the database decides who
 * closes, so this part needs no leader.
 */
export function bufferCloserPart(deps: {
  store: BufferStore;
  domain: BufferDomain;
  clock: Clock;
  logger: Logger;
  tickMs?: number;
}): Part & { tick(): Promise<void> } {
  const inFlight = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | null = null;
  let stopped = false;
  const running = new Set<Promise<void>>();

  const closeOne = (eventId: string, state: 'open' | 'closing' | 'closed') => {
    inFlight.add(eventId);
    const p = deps.domain
      .closeIfDue(eventId, state)
      .then((closed) => {
        if (closed) deps.logger.info({ eventId, ...closed }, 'buffer closed and drawn');
      })
      .catch((err: unknown) => deps.logger.warn({ err, eventId }, 'closing the buffer failed; will retry'))
      .finally(() => {
        inFlight.delete(eventId);
        running.delete(p);
      });
    running.add(p);
  };

  const tick = async () => {
    if (stopped) return;
    try {
      for (const { eventId, state } of await deps.store.pendingCloses(deps.clock.now()))
        if (!inFlight.has(eventId)) closeOne(eventId, state);
    } catch (err) {
      deps.logger.warn({ err }, 'buffer closer tick failed');
    }
  };

  return {
    name: 'buffer-closer',
    tick: () => (ticking ??= tick().finally(() => (ticking = null))),
    start: async () => {
      stopped = false;
      const loop = () => {
        timer = setTimeout(() => {
          void (ticking ??= tick().finally(() => (ticking = null))).then(() => {
            if (!stopped) loop();
          });
        }, deps.tickMs ?? 500);
      };
      loop();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await Promise.allSettled([...running]);
    },
  };
}

import type { DataSource } from 'typeorm';
import { envelope, type Logger, type MessageBus, type Part } from '@ticketslave/common';
import { admitterTick, eventsToTick, ServingMovedError, type TickOptions } from '../data/admitter-tick';

/**
 * Ticks every event on every instance; the per-event advisory lock lets one of them
 * work at a time and the row guards keep it correct if two ever do. Kill an instance
 * and the others simply keep winning the lock.
 */
export function admitter(opts: {
  ds: DataSource;
  bus: MessageBus;
  logger: Logger;
  tickMs: number;
  tick: TickOptions;
}): Part & { ticks: number } {
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let current: Promise<void> = Promise.resolve();
  const part = {
    name: 'admitter',
    ticks: 0,
    start: async () => {
      running = true;
      loop();
    },
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };

  const tickAll = async () => {
    for (const eventId of await eventsToTick(opts.ds)) {
      if (!running) return;
      try {
        const result = await opts.ds.transaction((em) => admitterTick(em, eventId, opts.tick));
        part.ticks++;
        if (result?.outageSeconds)
          opts.logger.warn(
            { eventId, outageSeconds: Math.round(result.outageSeconds * 10) / 10 },
            'no admitter ran for a while: turns and parked fans get the time back',
          );
        if (result?.progress)
          await opts.bus.publish([
            { topic: 'queue.progress', envelope: envelope('queue.progress', result.progress) },
          ]);
      } catch (err) {
        if (err instanceof ServingMovedError) opts.logger.debug({ eventId }, err.message);
        else opts.logger.warn({ err, eventId }, 'admitter tick failed');
      }
    }
  };

  // Fixed-rate: a pass starts every tickMs whatever the last one took (a pass that overran
  // is followed at once, not by a burst of the ones it missed), so progress, due on a tick,
  // keeps its cadence instead of drifting by each pass's duration.
  let nextAt = 0;
  const loop = () => {
    if (!running) return;
    nextAt = Math.max(nextAt + opts.tickMs, Date.now());
    current = tickAll()
      .catch((err: unknown) => opts.logger.warn({ err }, 'admitter pass failed'))
      .finally(() => {
        if (running) timer = setTimeout(loop, Math.max(0, nextAt + opts.tickMs - Date.now()));
      });
  };
  return part;
}

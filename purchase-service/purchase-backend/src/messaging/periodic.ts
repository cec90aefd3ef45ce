import type { Logger, Part } from '@ticketslave/common';

/** A background loop as a Part: runs `fn` every `ms`, never overlapping itself; stop waits for the run in flight. */
export function periodic(name: string, ms: number, fn: () => Promise<unknown>, logger: Logger): Part {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  const tick = () => {
    running = fn()
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, part: name }, 'background run failed, will retry'))
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  return {
    name,
    start: () => {
      timer = setTimeout(tick, ms);
      return Promise.resolve();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

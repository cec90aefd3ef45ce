import type { Logger, Part } from '@ticketslave/common';

/**
 * A background loop as a Part: runs `fn` every `ms`, never overlapping itself; stop waits
 * for the run in flight. `wake()` runs it now (or right after the run in flight), for
 * work a commit has just made due.
 */
export function periodic(
  name: string,
  ms: number,
  fn: () => Promise<unknown>,
  logger: Logger,
): Part & { wake(): void } {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let woken = false;
  let stopped = false;
  const schedule = (delay: number) => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(tick, delay);
  };
  const tick = () => {
    woken = false;
    running = fn()
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, part: name }, 'background run failed, will retry'))
      .finally(() => {
        running = null;
        schedule(woken ? 0 : ms);
      });
  };
  return {
    name,
    start: () => {
      schedule(ms);
      return Promise.resolve();
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    wake: () => {
      if (running) woken = true;
      else schedule(0);
    },
  };
}

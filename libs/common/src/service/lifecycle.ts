import type { Logger } from '../logger';

/** A long-lived part of a service (HTTP server, consumer, relay, sweeper, WS server). */
export interface Part {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts parts in order; stops the started ones in reverse, each bounded in time. */
export class Lifecycle {
  private readonly started: Part[] = [];
  constructor(private readonly logger: Logger) {}

  async start(part: Part): Promise<void> {
    await part.start();
    this.started.push(part);
    this.logger.debug({ part: part.name }, 'started');
  }

  /** Registers something already running, so it is stopped with the rest. */
  adopt(part: Pick<Part, 'name' | 'stop'>): void {
    this.started.push({ start: async () => undefined, ...part });
  }

  async stop(timeoutMs = 8000): Promise<void> {
    while (this.started.length) {
      const part = this.started.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          part.stop(),
          new Promise<void>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`${part.name} did not stop within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
      } catch (err) {
        this.logger.warn({ err, part: part.name }, 'part failed to stop cleanly');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** Runs a service as a process: exits 1 on a start-up failure, stops cleanly on SIGTERM/SIGINT. */
export function runMain(
  name: string,
  start: () => Promise<{ stop(): Promise<void> }>,
  logger?: Logger,
): void {
  let stopping = false;
  start()
    .then((service) => {
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger?.info({ signal }, `${name} stopping`);
        const hardExit = setTimeout(() => process.exit(1), 9500);
        hardExit.unref();
        service
          .stop()
          .then(() => process.exit(0))
          .catch((err) => {
            logger?.error({ err }, 'stop failed');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((err: unknown) => {
      const e = err as Error;
      if (e.name === 'ConfigError') console.error(e.message);
      else if (logger) logger.fatal({ err }, `${name} failed to start`);
      else console.error(`${name} failed to start:`, e);
      process.exit(1);
    });
}

import { createLogger, type Logger } from '../logger';

/** A long-lived part of a service (HTTP server, consumer, relay, sweeper, WS server). */
export interface Part {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Parts that do not depend on each other, as one part: started at once (a Kafka consumer's
 * group join can wait seconds after a crash; several of them need not wait in turn) and
 * stopped at once. If one fails to start, the ones that started are stopped again.
 */
export function concurrentParts(name: string, parts: Part[]): Part {
  return {
    name,
    start: async () => {
      const results = await Promise.allSettled(parts.map((p) => p.start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) return;
      await Promise.allSettled(
        parts.filter((_, i) => results[i]!.status === 'fulfilled').map((p) => p.stop()),
      );
      throw failed.reason;
    },
    stop: async () => {
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
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

  /**
   * Stops every started part within one overall budget (the process must be gone within
   * 10 s of SIGTERM): a part gets what is left of it, and once it is spent the remaining
   * parts are abandoned rather than letting the process be killed mid-way.
   */
  async stop(budgetMs = 8000): Promise<void> {
    const deadline = Date.now() + budgetMs;
    while (this.started.length) {
      const part = this.started.pop()!;
      const timeoutMs = deadline - Date.now();
      if (timeoutMs <= 0) {
        this.logger.warn({ part: part.name }, 'stop budget spent; not waiting for this part');
        continue;
      }
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

/**
 * Runs a service as a process: configuration is parsed first (a bad environment exits 1
 * with one message naming every bad variable), then the service starts (exit 1 on
 * failure) and stops cleanly on SIGTERM/SIGINT.
 */
export function runMain<C extends { LOG_LEVEL: string }>(
  name: string,
  loadConfig: () => C,
  start: (config: C) => Promise<{ stop(): Promise<void> }>,
): void {
  let config: C;
  try {
    config = loadConfig();
  } catch (err) {
    console.error((err as Error).name === 'ConfigError' ? (err as Error).message : err);
    process.exit(1);
  }
  const logger = createLogger(name, config.LOG_LEVEL);
  let stopping = false;
  start(config)
    .then((service) => {
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, `${name} stopping`);
        const hardExit = setTimeout(() => process.exit(1), 9500);
        hardExit.unref();
        service
          .stop()
          .then(() => process.exit(0))
          .catch((err) => {
            logger.error({ err }, 'stop failed');
            process.exit(1);
          });
      };
      process.on('SIGTERM', () => shutdown('SIGTERM'));
      process.on('SIGINT', () => shutdown('SIGINT'));
    })
    .catch((err: unknown) => {
      logger.fatal({ err }, `${name} failed to start`);
      process.exit(1);
    });
}

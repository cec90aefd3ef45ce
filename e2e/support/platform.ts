import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startPlatform, type Platform, type StartPlatformOptions } from '../../dev/platform/platform';
import { LOCAL } from '../../dev/platform/paths';
import { createTestKafka, type TestKafka } from '../../dev/test-support';

export type { Platform } from '../../dev/platform/platform';

/** How long bringing the whole platform up may take on a busy two-core machine. */
export const PLATFORM_START_TIMEOUT_MS = 240_000;

export interface UsePlatformOptions {
  /** Label for the database, topic prefix and `.local/e2e/<label>-…` directory. */
  label?: string;
  /** Extra environment for every service process. */
  serviceEnv?: Record<string, string>;
}

/**
 * The shared broker sometimes answers a fresh topic's metadata with "does not host
 * this topic-partition" while files create topics at the same time, or for a while
 * after it restarted; retrying with a back-off clears it.
 */
async function withRetries<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !/topic-partition|leader|ECONNREFUSED/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 1000 * i));
    }
  }
}

/**
 * One platform per test file, on free ports, a fresh database, a private topic
 * namespace on the shared test broker and a private `.local/e2e/<label>-<pid>`
 * directory (removed afterwards; service logs are kept in
 * `.local/test-results/e2e/_logs/<label>/`; `E2E_KEEP_LOCAL=1` keeps it all).
 * Call at the top of a file (it registers beforeAll/afterAll); in a test,
 * `const p = await platform` (a lazy thenable: started once, by the first await or
 * by the beforeAll, whichever comes first).
 */
export function usePlatform(opts: UsePlatformOptions = {}): PromiseLike<Platform> {
  const label = (opts.label ?? 'e2e').replace(/[^a-z0-9-]/gi, '').toLowerCase() || 'e2e';
  let started: Promise<{ platform: Platform; kafka: TestKafka }> | undefined;
  const start = () =>
    (started ??= (async () => {
      const kafka = await withRetries(() => createTestKafka(label.replace(/-/g, '')));
      const localDir = path.join(LOCAL, 'e2e', `${label}-${process.pid}`);
      mkdirSync(localDir, { recursive: true });
      const options: StartPlatformOptions = {
        portBase: 'free',
        kafka: { brokers: kafka.brokers, topicPrefix: kafka.prefix },
        freshDatabase: label.replace(/-/g, ''),
        localDir,
        serviceEnv: {
          LOG_LEVEL: process.env.E2E_SERVICE_LOG_LEVEL ?? 'info',
          // Registration's proof of work at its lowest difficulty: the widget solves it for
          // real in Chromium, in well under a second even on a loaded two-core machine.
          REGISTER_POW_MAX_NUMBER: '1000',
          ...opts.serviceEnv,
        },
        log: process.env.E2E_VERBOSE ? undefined : () => undefined,
      };
      try {
        return { platform: await startPlatform(options), kafka };
      } catch (err) {
        await kafka.cleanup().catch(() => undefined);
        throw err;
      }
    })());

  beforeAll(async () => {
    await start();
  }, PLATFORM_START_TIMEOUT_MS);
  afterAll(async () => {
    if (!started) return;
    const s = await started.catch(() => undefined);
    if (!s) return;
    await s.platform.stop();
    await s.kafka.cleanup().catch(() => undefined);
    // Keep the service logs with the test results; drop the rest (keys, stand-in data).
    const logs = path.join(s.platform.localDir, 'logs');
    if (existsSync(logs))
      cpSync(logs, path.join(LOCAL, 'test-results', 'e2e', '_logs', label), { recursive: true });
    if (!process.env.E2E_KEEP_LOCAL) rmSync(s.platform.localDir, { recursive: true, force: true });
  }, 60_000);

  return {
    then: (onFulfilled, onRejected) =>
      start()
        .then((s) => s.platform)
        .then(onFulfilled, onRejected),
  };
}

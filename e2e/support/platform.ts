import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
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
 * At most this many journeys run their platform at once, whatever jest's worker count:
 * each is a whole platform plus Chromium, timed against a sale, a hold or a code window,
 * and three at once on two cores pushed their waits past their limits; on a slower two-core
 * machine (session 16) two at once beside the other suites did too (a main journey's setup
 * past 150 s, keyboard and axe journeys past their limits). One at a time: the other workers
 * run the other suites meanwhile (the sequencer interleaves them). `E2E_JOURNEY_SLOTS` for more.
 */
const JOURNEY_SLOTS = Number(process.env.E2E_JOURNEY_SLOTS ?? 1);
/** The longest a journey may wait for a slot (two of the longest journeys, with room). */
const JOURNEY_WAIT_MS = 1_500_000;
const SLOT_DIR = path.join(LOCAL, 'e2e-slots');

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes a journey slot (an exclusively created file naming this process); waits while all are taken. */
async function takeJourneySlot(): Promise<() => void> {
  mkdirSync(SLOT_DIR, { recursive: true });
  for (;;) {
    for (let i = 0; i < JOURNEY_SLOTS; i++) {
      const file = path.join(SLOT_DIR, `slot-${i}`);
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return () => rmSync(file, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A slot left by a process that is gone (a killed run) is free.
        const holder = Number(readFileSync(file, 'utf8') || 0);
        if (holder && holder !== process.pid && !alive(holder)) unlinkSync(file);
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
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
  let releaseSlot: (() => void) | undefined;
  const start = () =>
    (started ??= (async () => {
      releaseSlot = await takeJourneySlot();
      const kafka = await withRetries(() => createTestKafka(label.replace(/-/g, ''))).catch(
        (err: unknown) => {
          releaseSlot?.();
          throw err;
        },
      );
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
        releaseSlot?.();
        throw err;
      }
    })());

  beforeAll(async () => {
    // The limit allows for waiting for a slot (up to another journey's length) and the start.
    await start();
  }, PLATFORM_START_TIMEOUT_MS + JOURNEY_WAIT_MS);
  afterAll(async () => {
    if (!started) return;
    const s = await started.catch(() => undefined);
    if (!s) return;
    try {
      await s.platform.stop();
    } finally {
      releaseSlot?.();
    }
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

import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { remoteStripeStandIn } from './remote';
import type { StripeStandIn, StripeStandInOptions } from './stand-in';

export type StripeStandInProcessOptions = Omit<StripeStandInOptions, 'log' | 'control'> & {
  /** Where the process's output goes (appended); without one it is dropped. */
  logFile?: string;
  /** How long the process may take to listen (default 30 s: tsx compiles the stand-in first). */
  startTimeoutMs?: number;
};

/**
 * The stand-in in a process of its own (dev/stripe/cli.ts with `--control`), spawned as
 * dev/platform/processes.ts spawns the services, and driven over its control API. A load test
 * wants this: in its own process Stripe's answers and webhooks no longer wait on the simulated
 * fans' event loop (issue 21: at 20,000 fans, card paid → webhook sent was 788 ms at p50 with the
 * stand-in inside the bench).
 */
export async function startStripeStandInProcess(opts: StripeStandInProcessOptions): Promise<StripeStandIn> {
  const args = [
    '--port',
    String(opts.port),
    '--host',
    opts.host ?? '127.0.0.1',
    '--webhook-secret',
    opts.webhookSecret,
    '--control',
    ...(opts.webhookUrl ? ['--webhook-url', opts.webhookUrl] : []),
    ...(opts.publicBaseUrl ? ['--public-base-url', opts.publicBaseUrl] : []),
    ...(opts.dataFile ? ['--data-file', opts.dataFile] : []),
    ...(opts.webhookRetry?.initialDelayMs !== undefined
      ? ['--webhook-retry-ms', String(opts.webhookRetry.initialDelayMs)]
      : []),
    ...(opts.webhookRetry?.maxAttempts !== undefined
      ? ['--webhook-max-attempts', String(opts.webhookRetry.maxAttempts)]
      : []),
  ];
  const child = spawn(process.execPath, ['--enable-source-maps', '--import', 'tsx', 'cli.ts', ...args], {
    cwd: __dirname,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (opts.logFile) {
    mkdirSync(path.dirname(opts.logFile), { recursive: true });
    const log = createWriteStream(opts.logFile, { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  } else child.stderr.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // SIGTERM: the stand-in finishes the deliveries under way and saves its data file.
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    await exited;
    clearTimeout(timer);
  };

  // cli.ts prints `Stripe stand-in on <url> …` once it listens.
  const lines = createInterface({ input: child.stdout });
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await Promise.race([
      new Promise<string>((resolve) => {
        lines.on('line', (line) => {
          const m = /^Stripe stand-in on (http:\/\/\S+)/.exec(line);
          if (m) resolve(m[1] as string);
        });
      }),
      exited.then(() => {
        throw new Error(
          `the Stripe stand-in process exited (${child.exitCode ?? child.signalCode}) before listening` +
            (opts.logFile ? `; see ${opts.logFile}` : ''),
        );
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `the Stripe stand-in process did not listen within ${opts.startTimeoutMs ?? 30_000} ms`,
              ),
            ),
          opts.startTimeoutMs ?? 30_000,
        );
      }),
    ]);
    return remoteStripeStandIn(url, Number(new URL(url).port), stop);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

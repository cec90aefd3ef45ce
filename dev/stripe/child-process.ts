import { startToolProcess } from '../platform/tool-process';
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
  const proc = await startToolProcess({
    name: 'the Stripe stand-in',
    cwd: __dirname,
    script: 'cli.ts',
    args,
    // cli.ts prints `Stripe stand-in on <url> …` once it listens.
    readyLine: /^Stripe stand-in on (http:\/\/\S+)/,
    // Stopped by SIGTERM: the stand-in finishes the deliveries under way and saves its data file.
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
    ...(opts.startTimeoutMs ? { startTimeoutMs: opts.startTimeoutMs } : {}),
  });
  return { ...remoteStripeStandIn(proc.url, Number(new URL(proc.url).port), proc.stop), pid: proc.child.pid };
}

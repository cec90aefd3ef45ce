import { parseArgs } from 'node:util';
import { startStripeStandIn } from './stand-in';

// Runs the stand-in on its own, e.g. to try the hosted checkout page or point `stripe` at it by hand.
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '12111' },
    host: { type: 'string', default: '127.0.0.1' },
    'webhook-url': { type: 'string' },
    'webhook-secret': { type: 'string', default: 'whsec_standin' },
    'public-base-url': { type: 'string' },
    'data-file': { type: 'string' },
    'webhook-retry-ms': { type: 'string' },
    'webhook-max-attempts': { type: 'string' },
    // The handle over HTTP under /_standin/ (pay without the form, state, outages…): for a
    // parent process driving this one (startStripeStandInProcess), never for a shared stand-in.
    control: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got ${values.port}`);
  process.exit(2);
}

const retryNumber = (name: 'webhook-retry-ms' | 'webhook-max-attempts'): number | undefined => {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number, got ${v}`);
    process.exit(2);
  }
  return n;
};
const initialDelayMs = retryNumber('webhook-retry-ms');
const maxAttempts = retryNumber('webhook-max-attempts');

async function main(): Promise<void> {
  const standIn = await startStripeStandIn({
    port,
    host: values.host,
    webhookUrl: values['webhook-url'],
    webhookSecret: values['webhook-secret'],
    publicBaseUrl: values['public-base-url'],
    dataFile: values['data-file'],
    webhookRetry: {
      ...(initialDelayMs !== undefined ? { initialDelayMs } : {}),
      ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    },
    control: values.control,
    log: (line) => console.log(line),
  });
  console.log(`Stripe stand-in on ${standIn.url} (webhooks → ${values['webhook-url'] ?? 'nowhere'})`);
  console.log(
    `Point the SDK at it: new Stripe('sk_test_standin', { host: '${values.host}', port: ${standIn.port}, protocol: 'http' })`,
  );

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void standIn.stop().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

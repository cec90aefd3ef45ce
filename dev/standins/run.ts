/**
 * Runs one stand-in as a process, configured from the environment: what docker-compose.yml's
 * stand-in containers run (dev/Dockerfile.standins), and handy on its own.
 *
 *   tsx dev/standins/run.ts <s3|smtp|google|beacon|stripe>
 *
 * Every stand-in reads HOST (default 127.0.0.1; the image sets 0.0.0.0) and PORT (default: the
 * local platform's port, README.md). Per stand-in:
 *
 *   s3      DATA_DIR (objects on disk), S3_BUCKETS (comma-separated, created with permissive
 *           CORS), S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY (a key pair accepted besides S3RVER)
 *   smtp    PORT is SMTP; INBOX_PORT the inbox over HTTP (GET /messages)
 *   google  GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET (the one client accepted; default the dev
 *           client), OIDC_ISSUER (`iss` of ID tokens; default the stand-in's own URL)
 *   beacon  DATA_DIR (the chain's BLS secret key, made at first start, kept in DATA_DIR/key.json),
 *           BEACON_PERIOD (seconds)
 *   stripe  STRIPE_WEBHOOK_URL, STRIPE_WEBHOOK_SECRET, STRIPE_PUBLIC_BASE_URL (where browsers
 *           reach the hosted checkout page), DATA_DIR (state kept in DATA_DIR/stripe.json)
 *
 * It runs until SIGTERM or SIGINT, then stops the stand-in (closing its sockets, flushing its
 * state) and exits 0; a second signal exits at once.
 */
import path from 'node:path';
import { startStripeStandIn } from '../stripe';
import { STRIPE_PORT } from '../platform/paths';
import { startBeacon } from './beacon';
import { STANDIN_PORTS } from './index';
import { DEV_OIDC_CLIENT, startOidc } from './oidc';
import { S3_STANDIN_CREDENTIALS, startS3 } from './s3';
import { startSmtp } from './smtp';

export const STANDIN_NAMES = ['s3', 'smtp', 'google', 'beacon', 'stripe'] as const;
export type StandInName = (typeof STANDIN_NAMES)[number];

/** A GET on `httpUrl + path` answers 200 once the stand-in serves: what health checks probe. */
export const HEALTH_PATHS: Record<StandInName, string> = {
  s3: '/',
  smtp: '/messages',
  google: '/.well-known/openid-configuration',
  beacon: '/info',
  stripe: '/healthz',
};

/** The variable holding the port that serves HTTP (the SMTP stand-in's inbox is separate). */
export const HTTP_PORT_VARIABLE: Record<StandInName, 'PORT' | 'INBOX_PORT'> = {
  s3: 'PORT',
  smtp: 'INBOX_PORT',
  google: 'PORT',
  beacon: 'PORT',
  stripe: 'PORT',
};

export const DEFAULT_PORTS: Record<StandInName, number> = {
  s3: STANDIN_PORTS.s3,
  smtp: STANDIN_PORTS.smtp,
  google: STANDIN_PORTS.oidc,
  beacon: STANDIN_PORTS.beacon,
  stripe: STRIPE_PORT,
};

export interface RunningStandIn {
  name: StandInName;
  /** The stand-in's own URL (smtp://… for the SMTP stand-in). */
  url: string;
  /** Where it speaks HTTP: health checks go to `httpUrl + HEALTH_PATHS[name]`. */
  httpUrl: string;
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;

export function isStandInName(name: string): name is StandInName {
  return (STANDIN_NAMES as readonly string[]).includes(name);
}

/** An unset or empty variable counts as absent, as in the services' config. */
function read(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

function port(env: Env, key: string, fallback: number): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${key} must be a port number, got "${raw}"`);
  return n;
}

function positive(env: Env, key: string): number | undefined {
  const raw = read(env, key);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${key} must be a positive number, got "${raw}"`);
  return n;
}

function dataDir(env: Env, name: StandInName): string {
  return read(env, 'DATA_DIR') ?? path.join(__dirname, '..', '..', '.local', 'standins', name);
}

/** Starts the named stand-in with settings from `env` (process.env when run as a script). */
export async function startStandIn(name: StandInName, env: Env = process.env): Promise<RunningStandIn> {
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const listenPort = port(env, 'PORT', DEFAULT_PORTS[name]);
  switch (name) {
    case 's3': {
      const accessKeyId = read(env, 'S3_ACCESS_KEY_ID');
      const secretAccessKey = read(env, 'S3_SECRET_ACCESS_KEY');
      if (!accessKeyId !== !secretAccessKey)
        throw new Error('set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither');
      const extra =
        accessKeyId && secretAccessKey && accessKeyId !== S3_STANDIN_CREDENTIALS.accessKeyId
          ? [{ accessKeyId, secretAccessKey }]
          : undefined;
      const s3 = await startS3({
        port: listenPort,
        host,
        dataDir: dataDir(env, name),
        buckets: (read(env, 'S3_BUCKETS') ?? '')
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
        credentials: extra,
      });
      return { name, url: s3.url, httpUrl: s3.url, stop: () => s3.stop() };
    }
    case 'smtp': {
      const smtp = await startSmtp({
        port: listenPort,
        httpPort: port(env, 'INBOX_PORT', STANDIN_PORTS.inbox),
        host,
      });
      return { name, url: smtp.url, httpUrl: smtp.inboxUrl, stop: () => smtp.stop() };
    }
    case 'google': {
      const clientId = read(env, 'GOOGLE_CLIENT_ID') ?? DEV_OIDC_CLIENT.clientId;
      const clientSecret = read(env, 'GOOGLE_CLIENT_SECRET') ?? DEV_OIDC_CLIENT.clientSecret;
      const oidc = await startOidc({
        port: listenPort,
        host,
        clients: [{ clientId, clientSecret }],
        issuer: read(env, 'OIDC_ISSUER'),
      });
      return { name, url: oidc.url, httpUrl: oidc.url, stop: () => oidc.stop() };
    }
    case 'beacon': {
      const beacon = await startBeacon({
        port: listenPort,
        host,
        keyFile: path.join(dataDir(env, name), 'key.json'),
        period: positive(env, 'BEACON_PERIOD'),
      });
      return { name, url: beacon.url, httpUrl: beacon.url, stop: () => beacon.stop() };
    }
    case 'stripe': {
      const stripe = await startStripeStandIn({
        port: listenPort,
        host,
        webhookUrl: read(env, 'STRIPE_WEBHOOK_URL'),
        webhookSecret: read(env, 'STRIPE_WEBHOOK_SECRET') ?? 'whsec_standin',
        publicBaseUrl: read(env, 'STRIPE_PUBLIC_BASE_URL'),
        dataFile: path.join(dataDir(env, name), 'stripe.json'),
        log: (line) => console.log(line),
      });
      return { name, url: stripe.url, httpUrl: stripe.url, stop: () => stripe.stop() };
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const name = argv[0] ?? '';
  if (!isStandInName(name)) {
    console.error(`usage: tsx dev/standins/run.ts <${STANDIN_NAMES.join('|')}>, got "${name}"`);
    process.exit(2);
  }
  const standIn = await startStandIn(name);
  console.log(
    `stand-in ${name} on ${standIn.url}${standIn.httpUrl !== standIn.url ? ` (HTTP ${standIn.httpUrl})` : ''}`,
  );
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`stand-in ${name}: ${signal}, stopping`);
    standIn.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}

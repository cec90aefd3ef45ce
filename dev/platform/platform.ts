import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { ensureKafkaJars, isKafkaReachable, startKafka } from '../kafka/broker';
import { startGateway } from '../gateway/gateway';
import { applyServiceAcls, DEV_KAFKA_ADMIN, devKafkaLogin, devScram } from '../kafka/users';
import { startAllStandIns } from '../standins';
import { startStripeStandIn, startStripeStandInProcess, type StripeStandIn } from '../stripe';
import { createTestDatabase } from '../test-support';
import { ensureFrontendBuilds } from './frontends';
import { ensureDevSecrets } from './keys';
import {
  DEV_PORTS,
  KAFKA_PORTS,
  LOCAL,
  PORT_BLOCK_SIZE,
  portsFromBase,
  SERVICE_NAMES,
  type PlatformPorts,
  type ServiceName,
} from './paths';
import { provisionServiceRoles } from './database-roles';
import { ensureDatabase, ensurePostgres } from './postgres';
import { spawnService, waitForHealthy, type ServiceProcess } from './processes';
import { ORIGIN_SECRET_HEADER, serviceEnv, serviceLogFile, type PlatformEndpoints } from './service-env';

export interface StartPlatformOptions {
  /**
   * Where the platform listens. Omitted: `npm start`'s fixed dev ports (8080–8085,
   * stand-ins on STANDIN_PORTS, Stripe 12111). A number: a block of PORT_BLOCK_SIZE
   * consecutive ports from there (`portsFromBase`). 'free': such a block found free
   * at random, so a test platform never collides with a developer's `npm start`.
   */
  portBase?: number | 'free';
  /**
   * An already running broker to use, with a topic prefix isolating this platform
   * (e.g. `createTestKafka()` on the shared test broker). Omitted: Kafka on 9092,
   * started when it is not already running.
   */
  kafka?: { brokers: string[]; topicPrefix: string };
  /** Name of the database to create if missing and use (default `ticketslave`). */
  database?: string;
  /** A fresh database from `createTestDatabase(label)`, dropped by `stop()`. Wins over `database`. */
  freshDatabase?: string;
  /** Directory for keys, stand-in data and logs (default `.local`). */
  localDir?: string;
  /** Build stale frontends first (default true). */
  buildFrontends?: boolean;
  /**
   * Keep the Stripe stand-in's state in `<localDir>/standins/stripe.json` across restarts
   * (default true, as `npm start` needs). A load test turns it off: rewriting tens of MB of
   * state stalls the process that also runs its simulated fans.
   */
  persistStripe?: boolean;
  /**
   * Run the Stripe stand-in in a process of its own (default false: in this one). A load test
   * wants it: its simulated fans would otherwise delay Stripe's answers and webhooks (issue 21).
   * The handle is the same, driven over the stand-in's control API; its log is `logs/stripe.log`.
   */
  stripeProcess?: boolean;
  /** Extra environment for every service process, e.g. `{ LOG_LEVEL: 'warn' }`. */
  serviceEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Platform {
  /** The gateway, as browsers see it (`http://localhost:<port>`): the one origin. */
  url: string;
  databaseUrl: string;
  ports: PlatformPorts;
  /** Each service directly, e.g. `services.feed` = `http://127.0.0.1:8081/feed`. */
  services: Record<ServiceName, string>;
  /** The SMTP stand-in's HTTP inbox (`GET /messages?to=`). */
  inboxUrl: string;
  smtpUrl: string;
  /** The Google OpenID stand-in (issuer URL). */
  oidcUrl: string;
  s3Url: string;
  beaconUrl: string;
  /** The Stripe stand-in: `pay(sessionId)`, `state()`, `webhooksIdle()`, … */
  stripe: StripeStandIn;
  kafka: { brokers: string[]; topicPrefix: string };
  /**
   * The origin secret the gateway adds, as CloudFront does. A load generator that stands for
   * many fans sends `{ [edge.header]: edge.secret, 'cloudfront-viewer-address': '<ip>:<port>' }`
   * (as a request straight to the ALB would); any other request is seen from its socket.
   */
  edge: { header: string; secret: string };
  localDir: string;
  logFile(svc: ServiceName): string;
  /** The pid of a service's process (one process per service), undefined while it is down. */
  servicePid(svc: ServiceName): number | undefined;
  /** The pids of the tools run in processes of their own (`stripe` with `stripeProcess`). */
  toolPids(): Record<string, number>;
  /**
   * Fault drills: signals the service's process (default SIGKILL, a crash without shutdown
   * hooks) and resolves once it has exited. Requests to it fail until `restartService`.
   */
  killService(svc: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts a service again with the environment it had (stopping it first if it still runs).
   * Resolves once its /readyz answers 200 (`wait: 'ready'`, default), its /healthz does
   * (`'healthy'`: e.g. while Kafka is down), or at once (`'none'`).
   */
  restartService(
    svc: ServiceName,
    opts?: { wait?: 'ready' | 'healthy' | 'none'; timeoutMs?: number },
  ): Promise<void>;
  stop(): Promise<void>;
}

const defaultLog = (m: string) => console.log(`[platform] ${m}`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A random block of consecutive free ports above the dev ports and below the ephemeral range. */
export async function findFreePortBlock(size = PORT_BLOCK_SIZE): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let free = true;
    for (let p = base; p < base + size && free; p++) free = await portIsFree(p);
    if (free) return base;
  }
  throw new Error(`no block of ${size} free ports found`);
}

/**
 * Runs `fn` while holding a lock file, so platforms starting at the same time (test
 * files in parallel, a test next to `npm start`) never run vite into the same dist/.
 * A lock older than 10 minutes is taken to be left over from a killed process.
 */
async function withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(file), { recursive: true });
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(file).mtimeMs > 600_000) rmSync(file, { force: true });
      } catch {
        // released meanwhile
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Brings up the whole platform on this machine: Kafka, PostgreSQL, the stand-ins,
 * the five services and the gateway. Everything started is stopped in reverse.
 */
export async function startPlatform(opts: StartPlatformOptions = {}): Promise<Platform> {
  const t0 = Date.now();
  const log = opts.log ?? defaultLog;
  const localDir = opts.localDir ?? LOCAL;
  const stops: { name: string; stop: () => Promise<void> | void }[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        console.error(`[platform] stopping ${s.name} failed:`, err);
      }
    }
    stops.length = 0;
  };
  try {
    mkdirSync(localDir, { recursive: true });
    const ports =
      opts.portBase === undefined
        ? DEV_PORTS
        : portsFromBase(opts.portBase === 'free' ? await findFreePortBlock() : opts.portBase);
    const [secrets] = await Promise.all([
      ensureDevSecrets(path.join(localDir, 'keys')),
      opts.kafka ? undefined : ensureKafkaJars(),
      opts.buildFrontends === false
        ? undefined
        : withFileLock(path.join(LOCAL, 'frontend-build.lock'), () => ensureFrontendBuilds(log)),
    ]);

    let kafka = opts.kafka;
    // npm start's own broker authenticates (SCRAM) and authorizes (ACLs from libs/common
    // TOPIC_ACCESS); each service logs in as its own user (issue 17.13). A broker handed in
    // (tests' shared one) is plain.
    let kafkaLogins: PlatformEndpoints['kafkaLogins'];
    if (!kafka) {
      const brokers = [`127.0.0.1:${KAFKA_PORTS.port}`];
      if (await isKafkaReachable(brokers, 1500, DEV_KAFKA_ADMIN))
        log(`Kafka already running on ${KAFKA_PORTS.port}; using it`);
      else if (await isKafkaReachable(brokers, 1500))
        throw new Error(
          `A Kafka broker without SCRAM runs on ${KAFKA_PORTS.port} (an npm start from before per-service users?); stop it and start again`,
        );
      else {
        log(`starting Kafka (KRaft, SCRAM users and ACLs) on 127.0.0.1:${KAFKA_PORTS.port}`);
        const broker = await startKafka({
          ...KAFKA_PORTS,
          // Its own data dir: SCRAM users are written when a data dir is formatted.
          dataDir: path.join(LOCAL, 'kafka-scram'),
          heapMb: 768,
          scram: devScram(),
        });
        stops.push({ name: 'kafka', stop: () => broker.stop() });
      }
      await applyServiceAcls(brokers);
      kafka = { brokers, topicPrefix: '' };
      kafkaLogins = Object.fromEntries(SERVICE_NAMES.map((s) => [s, devKafkaLogin(s)])) as typeof kafkaLogins;
    }

    // The admin's URL (the platform's users: seeds, admin commands, benches' checks) and each
    // service's, as its own role owning only its schema (issue 17.13).
    let databaseUrl: string;
    let databaseUrls: Record<ServiceName, string>;
    if (opts.freshDatabase !== undefined) {
      const db = await createTestDatabase(opts.freshDatabase);
      stops.push({ name: 'database', stop: () => db.drop() });
      databaseUrl = db.url;
      databaseUrls = Object.fromEntries(
        SERVICE_NAMES.map((s) => [s, db.serviceUrl(s)]),
      ) as typeof databaseUrls;
    } else {
      const pg = await ensurePostgres(LOCAL, log);
      stops.push({ name: 'postgres', stop: () => pg.stop() });
      databaseUrl = await ensureDatabase(pg.adminUrl, opts.database ?? 'ticketslave');
      databaseUrls = await provisionServiceRoles(pg.adminUrl, databaseUrl);
    }

    const standins = await startAllStandIns({
      dataDir: path.join(localDir, 'standins'),
      buckets: ['ticketslave-images', 'ticketslave-fairness'],
      ports: ports.standins,
    });
    stops.push({ name: 'stand-ins', stop: () => standins.stop() });
    const stripeOptions = {
      port: ports.stripe,
      webhookUrl: `http://127.0.0.1:${ports.services.payment}/payment/api/stripe/webhook`,
      webhookSecret: secrets.stripeWebhookSecret,
      publicBaseUrl: `http://localhost:${ports.stripe}`,
      ...(opts.persistStripe === false ? {} : { dataFile: path.join(localDir, 'standins', 'stripe.json') }),
    };
    const stripe = opts.stripeProcess
      ? await startStripeStandInProcess({ ...stripeOptions, logFile: serviceLogFile(localDir, 'stripe') })
      : await startStripeStandIn(stripeOptions);
    stops.push({ name: 'stripe', stop: () => stripe.stop() });

    const publicBaseUrl = `http://localhost:${ports.gateway}`;
    const spawnOne = (svc: ServiceName): ServiceProcess =>
      spawnService(
        svc,
        {
          ...serviceEnv(svc, secrets, {
            databaseUrls,
            kafkaBrokers: kafka.brokers,
            topicPrefix: kafka.topicPrefix,
            kafkaLogins,
            publicBaseUrl,
            localDir,
            ports: ports.services,
            // service-env types STANDIN_PORTS' literal values; any port works.
            standinPorts: {
              ...ports.standins,
              stripe: ports.stripe,
            } as unknown as PlatformEndpoints['standinPorts'],
          }),
          // Under jest, three workers may each run a platform against one PostgreSQL server
          // (max_connections 100): at the default ten per pool, three platforms asked for
          // more than a hundred and services answered 500 ("too many clients"). Five per
          // pool, as the service tests use.
          ...(process.env.JEST_WORKER_ID ? { DB_POOL_SIZE: '5' } : {}),
          ...opts.serviceEnv,
        },
        serviceLogFile(localDir, svc),
      );
    /** The current process of each service (replaced by restartService). */
    const procs = new Map<ServiceName, ServiceProcess>(SERVICE_NAMES.map((svc) => [svc, spawnOne(svc)]));
    stops.push({
      name: 'services',
      stop: () => Promise.all([...procs.values()].map((p) => p.stop())).then(() => undefined),
    });
    const waitFor = (svc: ServiceName, what: 'readyz' | 'healthz', timeoutMs: number) =>
      waitForHealthy(
        `http://127.0.0.1:${ports.services[svc]}/${svc}/${what}`,
        procs.get(svc)!.child,
        timeoutMs,
      );
    await Promise.all(
      [...procs.values()].map(async (p) => {
        try {
          await waitFor(p.name, 'readyz', 90_000);
        } catch (err) {
          throw new Error(
            `${p.name} did not become ready (${(err as Error).message}); see ${serviceLogFile(localDir, p.name)}`,
          );
        }
      }),
    );
    const services = Object.fromEntries(
      SERVICE_NAMES.map((s) => [s, `http://127.0.0.1:${ports.services[s]}/${s}`]),
    ) as Record<ServiceName, string>;
    const edge = { header: ORIGIN_SECRET_HEADER, secret: secrets.originSecret };
    const gateway = await startGateway({
      port: ports.gateway,
      edge,
      routes: Object.fromEntries(
        SERVICE_NAMES.map((s) => [`/${s}`, `http://127.0.0.1:${ports.services[s]}`]),
      ),
    });
    const toolPids: Record<string, number> = {};
    if (stripe.pid !== undefined) toolPids.stripe = stripe.pid;
    stops.push({ name: 'gateway', stop: () => gateway.stop() });
    log(`all five services ready in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${publicBaseUrl}`);
    return {
      url: publicBaseUrl,
      databaseUrl,
      ports,
      services,
      inboxUrl: standins.smtp.inboxUrl,
      smtpUrl: standins.smtp.url,
      oidcUrl: standins.oidc.issuer,
      s3Url: standins.s3.url,
      beaconUrl: standins.beacon.url,
      stripe,
      kafka,
      edge,
      localDir,
      logFile: (svc) => serviceLogFile(localDir, svc),
      toolPids: () => ({ ...toolPids }),
      servicePid: (svc) => {
        const c = procs.get(svc)?.child;
        return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
      },
      killService: (svc, signal) => procs.get(svc)!.kill(signal),
      restartService: async (svc, o = {}) => {
        await procs.get(svc)!.stop();
        procs.set(svc, spawnOne(svc));
        const wait = o.wait ?? 'ready';
        if (wait !== 'none')
          await waitFor(svc, wait === 'ready' ? 'readyz' : 'healthz', o.timeoutMs ?? 90_000);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

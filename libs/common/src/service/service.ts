import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import client from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Clock } from '../clock';
import { systemClock } from '../clock';
import type { baseConfigShape } from '../config';
import { createDataSource, migrate, type DataSourceOptions } from '../db/data-source';
import { coalescedOutboxNotify, OutboxRelay, wakeOutboxAfterCommit } from '../db/outbox';
import { pgPool } from '../db/prepared';
import { instrumentPool } from './pool-metrics';

/** At most one relay wake-up per this many ms from commits (each round stops the outbox's writers for a moment). */
const OUTBOX_WAKE_INTERVAL_MS = 10;
import type { SqlSource } from '../db/sql-functions';
import { RateLimitStore } from '../db/rate-limit-store';
import { createHttpApp, createOpsApp, type ReadinessCheck } from '../http/app';
import { clientAddressResolver, type ClientAddress } from '../http/client-ip';
import type { ApiRouter } from '../http/api-router';
import { consumedBy, KAFKA_SERVICES, type KafkaService } from '../kafka/access';
import { deadLetterGauge } from '../kafka/dead-letters';
import { dlqTopic } from '../kafka/topics';
import { KafkaBus, type KafkaBusOptions, type MessageBus } from '../kafka/bus';
import { createLogger, type Logger } from '../logger';
import { TokenVerifier } from '../tokens/tokens';
import type { z } from 'zod';
import { Lifecycle, type Part } from './lifecycle';
import { UpgradeRouter } from '../ws/upgrade-router';
import { ed25519Backend } from '../tokens/ed25519';

export type BaseConfig = z.infer<z.ZodObject<typeof baseConfigShape>>;

/**
 * How a service reaches Kafka, from its configuration: brokers, prefix, TLS and its own SCRAM
 * user (KAFKA_SASL_*; unset: no authentication, a plain local broker). Every bus a service
 * makes (its KafkaBus, admin clients) connects this way.
 */
export function kafkaConnection(
  config: Pick<
    BaseConfig,
    | 'KAFKA_BROKERS'
    | 'KAFKA_TOPIC_PREFIX'
    | 'KAFKA_SSL'
    | 'KAFKA_SASL_MECHANISM'
    | 'KAFKA_SASL_USERNAME'
    | 'KAFKA_SASL_PASSWORD'
  >,
): Pick<KafkaBusOptions, 'brokers' | 'topicPrefix' | 'ssl' | 'sasl'> {
  return {
    brokers: config.KAFKA_BROKERS,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    ssl: config.KAFKA_SSL,
    sasl:
      config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
        ? {
            mechanism: config.KAFKA_SASL_MECHANISM,
            username: config.KAFKA_SASL_USERNAME,
            password: config.KAFKA_SASL_PASSWORD,
          }
        : undefined,
  };
}

/** What every service gets from the kit before it wires its own parts. */
export interface ServiceKit<C extends BaseConfig> {
  service: string;
  config: C;
  logger: Logger;
  ds: DataSource;
  bus: MessageBus;
  relay: OutboxRelay;
  /**
   * Wakes the relay after a commit that wrote outbox rows outside the ORM's transactions (a
   * pg client's, `pgTransactionInTwo`'s) without a NOTIFY: coalesced, in memory when this
   * process's relay leads. The ORM's own transactions wake it by themselves.
   */
  wakeOutbox: () => void;
  clock: Clock;
  sessions: TokenVerifier;
  /** Rate limits shared by every instance (PostgreSQL); `rateLimit` middleware uses it. */
  rateLimits: RateLimitStore;
  /** Register a WebSocket endpoint on the service's HTTP server. */
  upgrades: UpgradeRouter;
  /** The client address of a request or WebSocket upgrade (what `clientIp` reads in routes). */
  clientAddress: ClientAddress;
  lifecycle: Lifecycle;
  /** The service's /metrics registry, for figures of its own (e.g. `outboundCallTimer`). */
  registry: client.Registry;
}

export interface ServiceWiring {
  api: ApiRouter;
  /** Parts started after the kit (consumers, sweepers, WS servers), stopped before it. */
  parts?: Part[];
  beforeJson?: (app: Express) => void;
  readiness?: ReadinessCheck[];
}

export interface RunningService {
  url: string;
  port: number;
  /** Where `/<svc>/metrics` and `/<svc>/readyz` are served: the admin listener (ADMIN_PORT), else `url`. */
  adminUrl: string;
  server: Server;
  app: Express;
  kit: ServiceKit<BaseConfig>;
  stop(): Promise<void>;
}

export interface StartServiceOptions<C extends BaseConfig> {
  service: string;
  config: C;
  port: number;
  entities?: DataSourceOptions['entities'];
  migrations?: DataSourceOptions['migrations'];
  /**
   * The service's SQL functions (`sqlFunctionsIn(<its src/data/sql>)`), applied at every
   * start after the migrations; none by default (any other function in the schema is dropped).
   */
  sqlFunctions?: SqlSource[];
  clock?: Clock;
  logger?: Logger;
  /** Database schema; defaults to the service name. */
  schema?: string;
  /** The built frontend to serve when FRONTEND_DIR is not set. */
  frontendDir?: string;
  wire: (kit: ServiceKit<C>) => Promise<ServiceWiring> | ServiceWiring;
}

/**
 * Composes a service: database (migrated and its SQL functions applied, under a lock), Kafka bus (topics ensured),
 * outbox relay, the service's own parts, then the HTTP server. Stop runs in reverse:
 * stop accepting HTTP, drain WebSockets and consumers, flush, close the pool.
 */
export async function startService<C extends BaseConfig>(
  opts: StartServiceOptions<C>,
): Promise<RunningService> {
  const { service, config } = opts;
  const schema = opts.schema ?? service;
  const logger = opts.logger ?? createLogger(service, config.LOG_LEVEL);
  const lifecycle = new Lifecycle(logger);
  try {
    const ds = createDataSource({
      url: config.DATABASE_URL,
      schema,
      entities: opts.entities,
      migrations: opts.migrations,
      poolSize: config.DB_POOL_SIZE,
    });
    await lifecycle.start({
      name: 'database',
      start: () => migrate(ds, schema, { logger, sqlFunctions: opts.sqlFunctions ?? [] }),
      stop: () => ds.destroy(),
    });

    // One registry for the service's /metrics: HTTP, process and consumer figures.
    const registry = new client.Registry();
    client.collectDefaultMetrics({ register: registry, prefix: 'ts_' });
    instrumentPool(pgPool(ds), registry);
    const kafkaService = (KAFKA_SERVICES as readonly string[]).includes(service)
      ? (service as KafkaService)
      : undefined;
    const bus = new KafkaBus({
      registry,
      clientId: `${service}-${process.pid}`,
      logger,
      ...kafkaConnection(config),
      service: kafkaService,
    });
    // The dead letters of what this service consumes (it writes them), waiting for an operator.
    deadLetterGauge({
      registry,
      topics: kafkaService ? consumedBy(kafkaService).map(dlqTopic) : [],
      read: (topics) => bus.deadLettersWaiting(topics),
    });
    await lifecycle.start({
      name: 'kafka',
      start: async () => {
        await bus.ensureTopics();
        await bus.start();
      },
      stop: () => bus.stop(),
    });

    const relay = new OutboxRelay({ databaseUrl: config.DATABASE_URL, schema, bus, logger });
    // Commits that wrote outbox rows wake the relay after the fact (in memory when it leads
    // here), not by a NOTIFY that would serialise every service's commits server-wide.
    const wakeOutbox = coalescedOutboxNotify(ds.manager, logger, OUTBOX_WAKE_INTERVAL_MS, relay);
    wakeOutboxAfterCommit(ds, wakeOutbox);
    await lifecycle.start({ name: 'outbox-relay', start: () => relay.start(), stop: () => relay.stop() });

    const upgrades = new UpgradeRouter(logger);
    // Feed's keys fetched up front: a feed restart later does not fail this service's session checks.
    const sessions = new TokenVerifier(config.FEED_JWKS_URL);
    void sessions.warm();
    const edge = config.ORIGIN_SECRETS
      ? { header: config.ORIGIN_SECRET_HEADER, secrets: config.ORIGIN_SECRETS }
      : undefined;
    if (!edge && config.NODE_ENV === 'production')
      logger.warn(
        'ORIGIN_SECRETS is not set: client addresses are the socket peer, which behind CloudFront and the ALB is the ALB',
      );
    const kit: ServiceKit<C> = {
      service,
      clientAddress: clientAddressResolver(edge),
      config,
      logger,
      ds,
      bus,
      relay,
      wakeOutbox,
      clock: opts.clock ?? systemClock,
      sessions,
      rateLimits: new RateLimitStore(ds),
      upgrades,
      lifecycle,
      registry,
    };
    const wiring = await opts.wire(kit);
    for (const part of wiring.parts ?? []) await lifecycle.start(part);

    const publicOrigin = new URL(config.PUBLIC_BASE_URL).origin;
    const readiness: ReadinessCheck[] = [
      { name: 'database', check: async () => void (await ds.query('SELECT 1')) },
      { name: 'kafka', check: () => bus.ping() },
      ...(wiring.readiness ?? []),
    ];
    // The operations endpoints on their own listener when ADMIN_PORT is set (production): the
    // public port then answers 404 for them, whatever proxy sits in front of it.
    const separateOps = config.ADMIN_PORT !== undefined;
    let adminUrl: string | undefined;
    if (separateOps) {
      const admin = createServer(createOpsApp({ service, registry, readiness }));
      await new Promise<void>((resolve, reject) => {
        admin.once('error', reject);
        admin.listen(config.ADMIN_PORT, config.HOST, () => resolve());
      });
      lifecycle.adopt({
        name: 'admin-http',
        stop: () =>
          new Promise<void>((resolve) => {
            admin.close(() => resolve());
            admin.closeAllConnections();
          }),
      });
      adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    }
    const { app } = createHttpApp({
      registry,
      service,
      logger,
      api: wiring.api,
      allowedOrigins: [publicOrigin],
      beforeJson: wiring.beforeJson,
      frontendDir: config.FRONTEND_DIR ?? opts.frontendDir,
      assetBaseUrl: config.ASSET_BASE_URL,
      isProduction: config.NODE_ENV === 'production',
      checkResponses: config.NODE_ENV === 'test',
      edge,
      rateLimits: kit.rateLimits,
      readiness,
      serveOps: !separateOps,
    });
    const server = createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, app);
    upgrades.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, config.HOST, () => resolve());
    });
    lifecycle.adopt({
      name: 'http',
      stop: () =>
        new Promise<void>((resolve) => {
          upgrades.closeAll();
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 3000).unref();
        }),
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}`;
    logger.info({ port, adminUrl, ed25519: ed25519Backend }, `${service} ready`);
    return {
      url,
      port,
      adminUrl: adminUrl ?? url,
      server,
      app,
      kit: kit as unknown as ServiceKit<BaseConfig>,
      stop: () => lifecycle.stop(),
    };
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
}

import { randomUUID } from 'node:crypto';
import { JSONCookies } from 'cookie-parser';
import { parse as parseCookieHeader } from 'cookie';
import express, {
  type ErrorRequestHandler,
  type Express,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import helmet from 'helmet';
import client from 'prom-client';
import { AppError, ForbiddenError, InputError, NotFoundError, type ProblemDetails } from '../errors';
import { withRequestId, type Logger } from '../logger';
import { openApiDocument, type ApiRouter } from './api-router';
import { CLIENT_ADDRESS_LOCAL, clientAddressResolver, type EdgeTrust } from './client-ip';
import type { RateLimitStore } from '../db/rate-limit-store';
import { mountFrontend } from './frontend';
import { RATE_LIMITS_LOCAL } from './rate-limit';
import { sendBody } from './send';

export { sendBody } from './send';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  api: ApiRouter;
  readiness?: ReadinessCheck[];
  /** Origins allowed to send state-changing requests (the public origin). */
  allowedOrigins: string[];
  /** Routes that need the raw body or sit outside `/api` (webhooks, JWKS); mounted before the JSON parser. */
  beforeJson?: (app: Express) => void;
  frontendDir?: string;
  assetBaseUrl?: string;
  jsonLimit?: string;
  isProduction?: boolean;
  /** Check every JSON answer against its route's declared schema (tests: a drifted declaration fails them). */
  checkResponses?: boolean;
  /** The registry `/metrics` serves (the kit's, shared with the bus); without it, a new one with the default metrics. */
  registry?: client.Registry;
  /** How requests from our CloudFront distribution are recognised (`clientIp`); unset: the socket's peer. */
  edge?: EdgeTrust;
  /** The shared store `rateLimit` middleware takes its tokens from. */
  rateLimits?: RateLimitStore;
  /**
   * Serve `/<svc>/metrics` and `/<svc>/readyz` on this app (default). False when they are on the
   * internal admin listener (`createOpsApp`): here they are then unknown routes (404).
   */
  serveOps?: boolean;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Sends an RFC 9457 problem document. */
export function sendProblem(res: express.Response, problem: ProblemDetails): void {
  sendBody(res.req, res, problem.status, 'application/problem+json', JSON.stringify(problem));
}

/**
 * The header/value pairs a helmet configuration sets. Its values do not depend on the
 * request (no CSP nonces here), so they are computed once rather than by helmet's chain
 * of a dozen middleware functions on every request.
 */
export function staticSecurityHeaders(middleware: RequestHandler): [string, string][] {
  const headers = new Map<string, string>();
  const capture = {
    setHeader: (name: string, value: string) => void headers.set(name, value),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let done = false;
  void middleware({} as Request, capture as unknown as Response, (err?: unknown) => {
    if (err) throw err instanceof Error ? err : new Error('security header middleware failed');
    done = true;
  });
  if (!done) throw new Error('security header middleware did not complete synchronously');
  return [...headers];
}

/**
 * What JSON and ops answers keep of the page headers: no sniffing, no framing (also as
 * CSP frame-ancestors, with nothing loadable), no referrer, same-origin CORP, and HSTS
 * where it is on. The document-only headers (the page CSP, COOP, Origin-Agent-Cluster,
 * X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection) stay on the frontend's answers.
 */
const API_HEADER_NAMES = new Set([
  'X-Content-Type-Options',
  'X-Frame-Options',
  'Referrer-Policy',
  'Cross-Origin-Resource-Policy',
  'Strict-Transport-Security',
]);
export const API_CSP = "default-src 'none'; frame-ancestors 'self'";

/** `req.cookies`, parsed on first read (as cookie-parser would, without secrets), not on every request. */
function lazyCookies(app: Express): void {
  const own = (req: Request, value: unknown) =>
    Object.defineProperty(req, 'cookies', { value, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(app.request, 'cookies', {
    configurable: true,
    enumerable: true,
    get(this: Request) {
      const header = this.headers.cookie;
      const cookies = header
        ? (JSONCookies(parseCookieHeader(header) as Record<string, string>) as Record<string, unknown>)
        : Object.create(null);
      own(this, cookies);
      return cookies;
    },
    set(this: Request, value: unknown) {
      own(this, value);
    },
  });
}

/**
 * The Express 5 app every service runs: request ids, security headers, JSON limits,
 * Origin checks on state changes, health/readiness/metrics/OpenAPI, the service's
 * API under `/<svc>/api`, its frontend at `/<svc>/`, and problem+json for every error.
 */
export function createHttpApp(opts: HttpAppOptions): { app: Express; registry: client.Registry } {
  const { service, logger } = opts;
  const prefix = `/${service}`;
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is never trusted: its last hop in AWS is a CloudFront edge, the hops before
  // it are what the client wrote. The client address comes from `clientIp` (client-ip.ts).
  app.set('trust proxy', false);
  app.locals[CLIENT_ADDRESS_LOCAL] = clientAddressResolver(opts.edge);
  app.set('etag', 'strong');
  if (opts.rateLimits) app.locals[RATE_LIMITS_LOCAL] = opts.rateLimits;

  const registry = opts.registry ?? new client.Registry();
  if (!opts.registry) client.collectDefaultMetrics({ register: registry, prefix: 'ts_' });
  const httpDuration = new client.Histogram({
    name: 'ts_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const pageHeaders = staticSecurityHeaders(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'blob:', 'http:', 'https:'],
          // The asset CDN too: a service worker (whose CSP this is as well) precaches from it.
          connectSrc: ["'self'", 'ws:', 'wss:', ...(opts.assetBaseUrl ? [opts.assetBaseUrl] : [])],
          // The ALTCHA widget (proof of work) solves in Web Workers it starts from blob: URLs.
          workerSrc: ["'self'", 'blob:'],
          scriptSrc: ["'self'", ...(opts.assetBaseUrl ? [opts.assetBaseUrl] : [])],
          styleSrc: ["'self'", "'unsafe-inline'", ...(opts.assetBaseUrl ? [opts.assetBaseUrl] : [])],
          formAction: ["'self'", 'http:', 'https:'],
          upgradeInsecureRequests: opts.isProduction ? [] : null,
        },
      },
      strictTransportSecurity: opts.isProduction ?? false,
    }),
  );
  const apiHeaders: [string, string][] = [
    ['Content-Security-Policy', API_CSP],
    ...pageHeaders.filter(([name]) => API_HEADER_NAMES.has(name)),
  ];
  // JSON API and ops paths (matched like Express routes, without case): the short header set.
  const machinePath = new RegExp(
    `^${escapeRegExp(prefix)}(?:/api(?:[/?]|$)|/(?:healthz|readyz|metrics)(?:\\?|$))`,
    'i',
  );
  lazyCookies(app);

  const requestContext: RequestHandler = (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    for (const [name, value] of machinePath.test(req.url) ? apiHeaders : pageHeaders)
      res.setHeader(name, value);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      httpDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      if (res.statusCode >= 500)
        logger.error(
          { requestId, method: req.method, url: req.originalUrl, status: res.statusCode },
          'request failed',
        );
      else if (logger.isLevelEnabled('debug'))
        logger.debug(
          { requestId, method: req.method, url: req.originalUrl, status: res.statusCode, ms: seconds * 1000 },
          'request',
        );
    });
    withRequestId(requestId, next);
  };
  app.use(requestContext);

  app.get(`${prefix}/healthz`, (_req, res) => {
    res.json({ status: 'ok', service });
  });
  if (opts.serveOps ?? true) mountOps(app, prefix, registry, opts.readiness ?? []);
  if (opts.checkResponses) opts.api.checkResponses();
  app.get(`${prefix}/api/openapi.json`, (_req, res) => {
    res.json(openApiDocument(service, opts.api));
  });

  opts.beforeJson?.(app);

  const allowed = new Set(opts.allowedOrigins.map((o) => new URL(o).origin));
  const stateChangeGuard: RequestHandler = (req, _res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    const origin = req.header('origin');
    if (origin && !allowed.has(origin))
      return next(new ForbiddenError(`Origin ${origin} may not change state here.`, 'bad_origin'));
    const length = Number(req.header('content-length') ?? 0);
    const chunked = req.header('transfer-encoding') !== undefined;
    if ((length > 0 || chunked) && !req.is('application/json')) {
      return next(
        new InputError(
          'State-changing requests must send JSON (Content-Type: application/json).',
          [],
          'unsupported_media_type',
        ),
      );
    }
    next();
  };
  app.use(
    `${prefix}/api`,
    stateChangeGuard,
    express.json({ limit: opts.jsonLimit ?? '64kb', strict: true }),
    opts.api.router,
  );

  if (opts.frontendDir)
    mountFrontend(app, { service, dir: opts.frontendDir, assetBaseUrl: opts.assetBaseUrl });

  app.use((req, _res, next) => {
    next(new NotFoundError(`No route for ${req.method} ${req.path}.`, 'route_not_found'));
  });

  const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (err instanceof AppError) return sendProblem(res, err.toProblem(req.originalUrl));
    const e = err as { type?: string; status?: number; message?: string; stack?: string };
    if (e.type === 'entity.parse.failed') {
      return sendProblem(
        res,
        new InputError('The request body is not valid JSON.', [], 'malformed_json').toProblem(
          req.originalUrl,
        ),
      );
    }
    if (e.type === 'entity.too.large') {
      return sendProblem(res, {
        type: 'https://ticketslave.dev/problems/payload_too_large',
        title: 'Payload too large',
        status: 413,
        detail: 'The request body is too large.',
      });
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return sendProblem(res, {
        type: 'https://ticketslave.dev/problems/bad_request',
        title: 'Bad request',
        status: e.status,
        detail: e.message ?? 'Bad request',
      });
    }
    logger.error({ err }, 'unhandled error');
    sendProblem(res, {
      type: 'https://ticketslave.dev/problems/internal',
      title: 'Internal server error',
      status: 500,
      detail: 'Something went wrong on our side. It has been logged.',
      ...(opts.isProduction ? {} : { stack: e.stack }),
    });
  };
  app.use(errorHandler);
  return { app, registry };
}

/** `/<svc>/readyz` (database, broker and the service's own checks) and `/<svc>/metrics` (Prometheus). */
function mountOps(
  app: Express,
  prefix: string,
  registry: client.Registry,
  readiness: ReadinessCheck[],
): void {
  app.get(`${prefix}/readyz`, async (_req, res) => {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), 2000, `${name} check timed out`);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: (err as Error).message };
        }
      }),
    );
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: results });
  });
  app.get(`${prefix}/metrics`, async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
}

/**
 * The internal admin listener's app: the operations endpoints and liveness, nothing else. It is
 * bound to ADMIN_PORT, which no load balancer rule or gateway route reaches.
 */
export function createOpsApp(opts: {
  service: string;
  registry: client.Registry;
  readiness: ReadinessCheck[];
}): Express {
  const prefix = `/${opts.service}`;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get(`${prefix}/healthz`, (_req, res) => {
    res.json({ status: 'ok', service: opts.service });
  });
  mountOps(app, prefix, opts.registry, opts.readiness);
  app.use((req, res) => {
    sendProblem(
      res,
      new NotFoundError(`No route for ${req.method} ${req.path}.`, 'route_not_found').toProblem(
        req.originalUrl,
      ),
    );
  });
  return app;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

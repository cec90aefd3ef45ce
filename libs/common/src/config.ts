import { z } from 'zod';

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Comma-separated list, trimmed, empties dropped. */
export const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const envBool = bool;

/** A JSON document in one variable (JWK sets). */
export const jsonEnv = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const productionOnly = new WeakSet<object>();

/**
 * Marks a variable that may stay unset in development and tests, where its default (a localhost
 * URL, mail switched off) is right, but must be set in production, where that default would be
 * wrong without anyone noticing. `loadConfig` refuses a production environment without it, and
 * the deployment's checks read the same marks (`requiredVariables`): Terraform must set it.
 */
export function requiredInProduction<T extends z.ZodType>(schema: T): T {
  productionOnly.add(schema);
  return schema;
}

/** The variables a service refuses to start without (in production: marked ones too). */
export function requiredVariables(
  shape: Record<string, z.ZodType>,
  mode: 'production' | 'development',
): string[] {
  return Object.entries(shape)
    .filter(
      ([, schema]) =>
        !schema.safeParse(undefined).success || (mode === 'production' && productionOnly.has(schema)),
    )
    .map(([name]) => name);
}

/** The variables every backend reads. Services extend this with their own. */
export const baseConfigShape = {
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  /** Connections per instance; instances × pool must stay under the server's max_connections. */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  KAFKA_BROKERS: csv.pipe(z.array(z.string().regex(/^[^:]+:\d+$/, 'host:port')).min(1)),
  KAFKA_SSL: bool.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512', 'plain']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  /** Prefix for topic and group names; tests use it to isolate themselves on one broker. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]*$/)
    .default(''),
  /** The public origin fans use (cookies, redirects, e-mail links). */
  PUBLIC_BASE_URL: requiredInProduction(z.url().default('http://localhost:8080')),
  FEED_JWKS_URL: requiredInProduction(z.url().default('http://127.0.0.1:8081/feed/.well-known/jwks.json')),
  /** When set, index.html points its assets at this CDN origin instead of the service. */
  ASSET_BASE_URL: z.url().optional(),
  FRONTEND_DIR: z.string().optional(),
  COOKIE_SECURE: bool.optional(),
  /**
   * The header our CloudFront distribution adds to every origin request, and the values it may
   * carry (comma-separated: two while rotating). A request carrying one of them came through the
   * distribution, so its `CloudFront-Viewer-Address` names the client. Unset: the socket's peer.
   */
  ORIGIN_SECRET_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
    .default('X-Origin-Secret'),
  ORIGIN_SECRETS: csv.pipe(z.array(z.string().min(16, 'at least 16 characters'))).optional(),
  /**
   * The internal listener for the operations endpoints (`/<svc>/metrics`, `/<svc>/readyz`):
   * when set, they are served on this port only and the public port answers 404 for them, so
   * no proxy in front of the public port can expose them. Unset (development, tests): served on
   * the public port too. Required in production; 0 picks a free port.
   */
  ADMIN_PORT: requiredInProduction(z.coerce.number().int().min(0).max(65535).optional()),
};

/**
 * The proof of work of services that ask for one (feed's registration, buffer's join): a
 * per-service HMAC secret signing its ALTCHA challenges, and how long a challenge stays
 * valid. Difficulty is not here: feed's comes from its own setting, buffer's from the event.
 */
export const powConfigShape = {
  POW_HMAC_KEY: z.string().min(32, 'at least 32 characters: a random secret of this service'),
  POW_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(600),
};

/**
 * Whether cookies carry the Secure flag: `COOKIE_SECURE` when set, else on in production.
 * Every service that sets a cookie asks here, so the operator's switch reaches all of them.
 */
export const useSecureCookies = (config: { COOKIE_SECURE?: boolean; NODE_ENV: string }): boolean =>
  config.COOKIE_SECURE ?? config.NODE_ENV === 'production';

/**
 * Parses the environment once. On failure throws one ConfigError naming every
 * missing or invalid variable, so an operator fixes them all in one go.
 */
export function loadConfig<S extends z.ZodRawShape>(
  service: string,
  shape: S,
  env: Record<string, string | undefined> = process.env,
): Readonly<z.infer<z.ZodObject<S>>> {
  const schema = z.object(shape);
  // Empty strings count as unset: `FOO=` in an env file means "not configured".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      const missing = issue.code === 'invalid_type' && cleaned[String(issue.path[0])] === undefined;
      return missing ? `${name}: missing` : `${name}: ${issue.message}`;
    });
    throw new ConfigError(service, problems);
  }
  if ((result.data as { NODE_ENV?: string }).NODE_ENV === 'production') {
    const unset = Object.keys(shape).filter(
      (name) => productionOnly.has(shape[name]!) && cleaned[name] === undefined,
    );
    if (unset.length > 0)
      throw new ConfigError(
        service,
        unset.map((name) => `${name}: missing (required when NODE_ENV=production)`),
      );
  }
  return Object.freeze(result.data);
}

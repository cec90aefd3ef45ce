import {
  createTestDatabase,
  createTestKafka,
  type TestDatabase,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { ApiRouter, baseConfigShape, loadConfig, startService, type RunningService } from '../src';

/**
 * Issue 17.12: `/<svc>/metrics` and `/<svc>/readyz` (which names what is down and why) are not
 * public. With ADMIN_PORT set they are served on that internal listener only, and the public
 * port answers them as unknown routes, whatever proxy sits in front of it and however the path
 * is spelled (Express matches without case and with a trailing slash).
 */
describe('operations endpoints on the admin port (ADMIN_PORT)', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let svc: RunningService;

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC_PREFIX: kafka.prefix,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    DB_POOL_SIZE: '2',
    ...extra,
  });

  beforeAll(async () => {
    db = await createTestDatabase('adminport');
    kafka = await createTestKafka('adminport');
    svc = await startService({
      service: 'probe',
      config: loadConfig('probe', baseConfigShape, env({ ADMIN_PORT: '0' })),
      port: 0,
      wire: () => ({ api: new ApiRouter() }),
    });
  }, 60_000);

  afterAll(async () => {
    await svc?.stop();
    await kafka?.cleanup();
    await db?.drop();
  });

  it('when ADMIN_PORT is set, the public port answers 404 for /metrics and /readyz in any spelling', async () => {
    expect(svc.adminUrl).not.toBe(svc.url);
    for (const path of [
      '/probe/metrics',
      '/probe/readyz',
      '/PROBE/Metrics',
      '/probe/readyz/',
      '/probe/metrics?x=1',
    ]) {
      const res = await fetch(`${svc.url}${path}`);
      const body = await res.text();
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(body).not.toMatch(/ts_|checks|kafka|database/);
    }
    // Liveness stays on the public port: the ALB's health check asks it there.
    expect((await fetch(`${svc.url}/probe/healthz`)).status).toBe(200);
  });

  it('the admin port serves them: Prometheus metrics and the readiness checks', async () => {
    const metrics = await fetch(`${svc.adminUrl}/probe/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ts_http_request_duration_seconds');
    const ready = await fetch(`${svc.adminUrl}/probe/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'kafka', ok: true },
      ],
    });
  });

  it('the admin port serves nothing else: no API, no frontend', async () => {
    expect((await fetch(`${svc.adminUrl}/probe/api/openapi.json`)).status).toBe(404);
    expect((await fetch(`${svc.adminUrl}/probe/`)).status).toBe(404);
  });

  it('in production, a service refuses to start without ADMIN_PORT', () => {
    const production = {
      ...env(),
      NODE_ENV: 'production',
      PUBLIC_BASE_URL: 'https://tickets.example.org',
      FEED_JWKS_URL: 'http://feed:8081/feed/.well-known/jwks.json',
    };
    expect(() => loadConfig('probe', baseConfigShape, production)).toThrow(/ADMIN_PORT: missing/);
    expect(loadConfig('probe', baseConfigShape, { ...production, ADMIN_PORT: '9090' }).ADMIN_PORT).toBe(9090);
  });
});

import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { startScramTestBroker } from '../kafka/scram-broker';
import { devKafkaLogin } from '../kafka/users';
import { createTestDatabase, type TestDatabase, type TestKafka } from '../test-support';
import { ensureDevSecrets } from './keys';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serviceRole } from './database-roles';
import { backendDir, SERVICE_NAMES, type ServiceName } from './paths';
import { spawnService, waitForHealthy, type ServiceProcess } from './processes';
import { serviceEnv } from './service-env';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Each of the five services as the platform runs it: a real process from its
 * sources, on a real database and broker. Health answers, readiness sees its
 * dependencies, and SIGTERM ends it cleanly within 10 seconds.
 */
describe('the five services as processes', () => {
  let db: TestDatabase;
  let kafka: TestKafka;
  let dir: string;
  const procs = new Map<ServiceName, { proc: ServiceProcess; port: number; log: string }>();

  beforeAll(async () => {
    db = await createTestDatabase('procs');
    // A broker with SCRAM users and ACLs, as npm start's: each service logs in as itself, creates
    // its own topics and joins its own groups, which proves TOPIC_ACCESS covers what it uses.
    const prefix = `procs${randomBytes(3).toString('hex')}.`;
    const scram = await startScramTestBroker(prefix);
    kafka = { brokers: scram.brokers, prefix, cleanup: () => scram.stop() };
    dir = mkdtempSync(path.join(tmpdir(), 'ts-procs-'));
    const secrets = await ensureDevSecrets(path.join(dir, 'keys'));
    const ports = Object.fromEntries(
      await Promise.all(SERVICE_NAMES.map(async (s) => [s, await freePort()])),
    ) as Record<ServiceName, number>;
    for (const svc of SERVICE_NAMES) {
      const env = serviceEnv(svc, secrets, {
        databaseUrls: Object.fromEntries(SERVICE_NAMES.map((s) => [s, db.serviceUrl(s)])) as Record<
          ServiceName,
          string
        >,
        kafkaBrokers: kafka.brokers,
        publicBaseUrl: 'http://localhost:8080',
        localDir: dir,
        topicPrefix: kafka.prefix,
        kafkaLogins: Object.fromEntries(SERVICE_NAMES.map((s) => [s, devKafkaLogin(s)])) as Record<
          ServiceName,
          { username: string; password: string }
        >,
        ports,
      });
      const log = path.join(dir, `${svc}.log`);
      procs.set(svc, { proc: spawnService(svc, { ...env, LOG_LEVEL: 'warn' }, log), port: ports[svc], log });
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([...procs.values()].map((p) => p.proc.stop()));
    await kafka?.cleanup();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it.each(SERVICE_NAMES)(
    '%s, connected as its own database role and Kafka user, migrates its schema, answers /healthz and /readyz, serves its OpenAPI document, and stops on SIGTERM within 10 s',
    async (svc) => {
      const { proc, port, log } = procs.get(svc)!;
      const base = `http://127.0.0.1:${port}/${svc}`;
      try {
        await waitForHealthy(`${base}/readyz`, proc.child, 90_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${readFileSync(log, 'utf8').slice(-3000)}`);
      }
      // Its migrations ran as its role: every table of its schema is the role's (issue 17.13).
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ owner: string; tables: number }>(
          `SELECT pg_get_userbyid(relowner) AS owner, count(*)::int AS tables FROM pg_class
            WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'p') GROUP BY 1`,
          [svc],
        );
        expect(rows).toEqual([{ owner: serviceRole(svc), tables: expect.any(Number) as number }]);
        expect(rows[0]!.tables).toBeGreaterThan(2);
      } finally {
        await admin.end();
      }
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const openapi = (await (await fetch(`${base}/api/openapi.json`)).json()) as { openapi: string };
      expect(openapi.openapi).toBe('3.1.0');
      const started = Date.now();
      const exited = new Promise<number | null>((resolve) =>
        proc.child.once('exit', (code) => resolve(code)),
      );
      proc.child.kill('SIGTERM');
      const code = await exited;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(code).toBe(0);
    },
    120_000,
  );

  it.each(SERVICE_NAMES)(
    '%s refuses to start with a missing or malformed variable, naming each one',
    async (svc) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: backendDir(svc),
        env: { PATH: process.env.PATH, KAFKA_BROKERS: 'not a broker list', DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(`Invalid configuration for ${svc}`);
      expect(stderr).toContain('DATABASE_URL: missing');
      expect(stderr).toMatch(/KAFKA_BROKERS\S*: .*host:port/);
    },
    60_000,
  );
});

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import {
  HEALTH_PATHS,
  HTTP_PORT_VARIABLE,
  STANDIN_NAMES,
  isStandInName,
  startStandIn,
  type RunningStandIn,
  type StandInName,
} from '../../dev/standins/run';
import { serviceEnv } from '../../dev/platform/service-env';
import type { DevSecrets } from '../../dev/platform/keys';
import { REPO_ROOT, SERVICES } from './support/hcl';

type Service = {
  build?: { dockerfile?: string; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
};
const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};

/** What compose would pass with an .env that sets every required secret: defaults kept. */
function interpolate(value: string): string {
  return value.replace(
    /\$\{([A-Z][A-Z0-9_]*)(?::?([-?])([^}]*))?\}/g,
    (_m, _name: string, op?: string, rest?: string) => (op === '-' ? (rest ?? '') : 'secret-from-dotenv'),
  );
}
const envOf = (svc: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

/** Compose services running the stand-ins image, with the stand-in each one names. */
const standIns = Object.entries(compose.services)
  .filter(([, s]) => s.build?.dockerfile === 'dev/Dockerfile.standins' && s.build.target === 'standins')
  .map(([service, s]) => ({ service, name: s.command?.[0] ?? '', svc: s }));

describe('docker-compose.yml stand-ins', () => {
  it('run every stand-in run.ts knows, each by a name it knows, once', () => {
    for (const { service, name, svc } of standIns) {
      expect({ service, name, known: isStandInName(name), args: svc.command?.length }).toEqual({
        service,
        name,
        known: true,
        args: 1,
      });
    }
    expect(standIns.map((s) => s.name).sort()).toEqual([...STANDIN_NAMES].sort());
  });

  it('the image runs dev/standins/run.ts on 0.0.0.0 and names no stand-in file that does not exist', () => {
    const src = readFileSync(path.join(REPO_ROOT, 'dev', 'Dockerfile.standins'), 'utf8');
    expect(src).toMatch(/^ENTRYPOINT \["node", "--import", "tsx", "dev\/standins\/run\.ts"\]$/m);
    expect(src).toMatch(/^ENV HOST=0\.0\.0\.0/m);
    for (const m of src.matchAll(/dev\/[\w/.-]+\.(?:m?ts)/g))
      expect({ file: m[0], exists: existsSync(path.join(REPO_ROOT, m[0])) }).toEqual({
        file: m[0],
        exists: true,
      });
  });

  it.each(standIns.map((s) => [s.service, s] as const))(
    '%s: the health check GETs its own HTTP port on a path the stand-in serves',
    async (_service, { name, svc }) => {
      const test = svc.healthcheck?.test ?? [];
      expect(test.slice(0, 5)).toEqual(['CMD', 'wget', '-q', '-O', '/dev/null']);
      const url = new URL(test[5]!);
      const env = envOf(svc);
      expect({ host: url.hostname, port: url.port }).toEqual({
        host: '127.0.0.1',
        port: env[HTTP_PORT_VARIABLE[name as StandInName]],
      });
      expect(url.pathname).toBe(HEALTH_PATHS[name as StandInName]);

      const dataDir = mkdtempSync(path.join(os.tmpdir(), `standin-${name}-`));
      let standIn: RunningStandIn | undefined;
      try {
        standIn = await startStandIn(name as StandInName, {
          ...env,
          HOST: '127.0.0.1',
          PORT: '0',
          INBOX_PORT: '0',
          DATA_DIR: dataDir,
        });
        const res = await fetch(`${standIn.httpUrl}${url.pathname}`);
        await res.arrayBuffer();
        expect({ name, path: url.pathname, status: res.status }).toEqual({
          name,
          path: url.pathname,
          status: 200,
        });
        // A path it does not serve fails, so a 200 above means something.
        const miss = await fetch(`${standIn.httpUrl}/no/such/path/${name}`);
        await miss.arrayBuffer();
        expect(miss.status).toBeGreaterThanOrEqual(400);
      } finally {
        await standIn?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );

  it('configures each stand-in as its clients expect: buckets, the Google client, the webhook target', () => {
    const byName = Object.fromEntries(standIns.map((s) => [s.name, envOf(s.svc)]));
    const feed = envOf(compose.services.feed!);
    const payment = envOf(compose.services.payment!);
    expect(byName.s3!.S3_BUCKETS!.split(',')).toContain(feed.S3_BUCKET_IMAGES);
    expect({ id: byName.google!.GOOGLE_CLIENT_ID, secret: byName.google!.GOOGLE_CLIENT_SECRET }).toEqual({
      id: feed.GOOGLE_CLIENT_ID,
      secret: feed.GOOGLE_CLIENT_SECRET,
    });
    expect(compose.services.google!.environment!.GOOGLE_CLIENT_SECRET).toBe(
      compose.services.feed!.environment!.GOOGLE_CLIENT_SECRET,
    );
    expect(compose.services.stripe!.environment!.STRIPE_WEBHOOK_SECRET).toBe(
      compose.services.payment!.environment!.STRIPE_WEBHOOK_SECRET,
    );
    expect(new URL(byName.stripe!.STRIPE_WEBHOOK_URL!).pathname).toBe('/payment/api/stripe/webhook');
    expect(new URL(byName.stripe!.STRIPE_WEBHOOK_URL!).port).toBe(payment.PORT);
  });

  it('stops on SIGTERM, flushing its state, and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'standin-sigterm-'));
    try {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(REPO_ROOT, 'dev', 'standins', 'run.ts'), 'stripe'],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          output += d.toString();
          const m = /stand-in stripe on (http:\/\/\S+)/.exec(output);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => reject(new Error(`run.ts exited early:\n${output}`)));
      });
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(existsSync(path.join(dataDir, 'stripe.json'))).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown stand-in name', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'dev', 'standins', 'run.ts'), 'ftp'],
      { cwd: REPO_ROOT, stdio: 'ignore' },
    );
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(2);
  });
});

describe('docker-compose.yml service environment', () => {
  const secrets = {
    session: { keys: [] },
    buffer: { keys: [] },
    queue: { keys: [] },
    ticket: { keys: [] },
    stripeWebhookSecret: 'whsec_x',
    pow: { feed: 'feed-pow-key', buffer: 'buffer-pow-key' },
  } as unknown as DevSecrets;
  const devEnv = (svc: (typeof SERVICES)[number]) =>
    serviceEnv(svc, secrets, {
      databaseUrls: {
        feed: 'postgres://x@127.0.0.1/x',
        buffer: 'postgres://x@127.0.0.1/x',
        queue: 'postgres://x@127.0.0.1/x',
        purchase: 'postgres://x@127.0.0.1/x',
        payment: 'postgres://x@127.0.0.1/x',
      },
      kafkaBrokers: ['127.0.0.1:9092'],
      publicBaseUrl: 'http://localhost:8080',
      localDir: '/tmp',
    });

  it.each(SERVICES)('%s: sets every variable the local platform sets, URLs with the same paths', (svc) => {
    const dev = devEnv(svc);
    const env = envOf(compose.services[svc]!);
    expect(Object.keys(dev).filter((k) => !(k in env))).toEqual([]);
    for (const [k, v] of Object.entries(dev)) {
      if (!/^(https?|smtps?):\/\//.test(v)) continue;
      expect({ k, path: new URL(env[k]!).pathname }).toEqual({ k, path: new URL(v).pathname });
    }
    expect(env.S3_FORCE_PATH_STYLE ?? 'true').toBe('true');
  });

  it.each(SERVICES)('%s: every in-network URL points at a compose service on a port it listens on', (svc) => {
    const env = envOf(compose.services[svc]!);
    for (const [k, v] of Object.entries(env)) {
      if (!/^(https?|smtps?):\/\//.test(v)) continue;
      const url = new URL(v);
      const target = compose.services[url.hostname];
      if (!target) {
        expect({ k, host: url.hostname }).toEqual({ k, host: 'localhost' });
        // Browser-facing: the port must be published by some service.
        const published = Object.values(compose.services).flatMap((s) =>
          (s.ports ?? []).map((p) => p.split(':')[0]),
        );
        expect({ k, published: published.includes(url.port) }).toEqual({ k, published: true });
        continue;
      }
      const t = envOf(target);
      const listening = [t.PORT, t.INBOX_PORT].filter(Boolean);
      expect({ k, host: url.hostname, listens: listening.includes(url.port) }).toEqual({
        k,
        host: url.hostname,
        listens: true,
      });
    }
    if (svc === 'payment') {
      const stripe = envOf(compose.services[env.STRIPE_API_HOST!]!);
      expect({ host: compose.services[env.STRIPE_API_HOST!]?.command, port: stripe.PORT }).toEqual({
        host: ['stripe'],
        port: env.STRIPE_API_PORT,
      });
    }
  });
});

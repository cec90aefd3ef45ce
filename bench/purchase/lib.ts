import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createLogger, envelope, KafkaBus, type EventSnapshot } from '@ticketslave/common';
import { sleep, type TestDatabase, type TestKafka } from '@ticketslave/dev/test-support';

export const REPO = path.resolve(__dirname, '../..');

/** Percentile (nearest rank) of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A reserved-seat snapshot as feed publishes it (event.published). */
export function eventSnapshot(
  eventId: string,
  layout: { sections: string[]; rows: number; seatsPerRow: number },
  overrides: Partial<EventSnapshot> = {},
): EventSnapshot {
  return {
    eventId,
    version: 1,
    organiserId: 'bench-organiser',
    status: 'on_sale',
    title: 'The Bench Band',
    artist: 'The Bench Band',
    description: '',
    venue: 'Bench Arena',
    city: 'Benchville',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    saleStartsAt: new Date(Date.now() - 3_600_000).toISOString(),
    bufferGraceSeconds: 60,
    queue: { admitRatePerMinute: 10_000, maxActiveShoppers: 10_000, awayGraceSeconds: 60 },
    holdSeconds: 1800,
    perUserLimit: 8,
    posterUrl: null,
    categories: [
      {
        id: 'seats',
        name: 'Seats',
        kind: 'reserved',
        priceMinor: 6000,
        currency: 'EUR',
        sections: layout.sections.map((name) => ({
          name,
          rows: [{ from: '1', to: String(layout.rows), seats: layout.seatsPerRow }],
        })),
      },
    ],
    ...overrides,
  };
}

/** Publishes event.published on the test namespace, retrying while fresh topics lack leaders. */
export async function publishEvent(kafka: TestKafka, snap: EventSnapshot): Promise<void> {
  const bus = new KafkaBus({
    clientId: 'bench-purchase-feed',
    brokers: kafka.brokers,
    logger: createLogger('bench', 'silent'),
    topicPrefix: kafka.prefix,
  });
  await settingUp(() => bus.start());
  try {
    const msg = {
      topic: 'event.published' as const,
      envelope: envelope('event.published', snap),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publish([msg]);
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(500);
      }
    }
  } finally {
    await bus.stop();
  }
}

/**
 * The shared test broker sometimes answers a fresh topic's metadata with "does not host
 * this topic-partition" while other engineers' tests create and delete topics: set-up
 * steps try again (as payment's test harness does).
 */
export async function settingUp<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= 8 || !/topic-partition|leader|coordinator/i.test((err as Error).message)) throw err;
      console.error(`[bench:purchase] set-up step failed (${(err as Error).message}), trying again`);
      await sleep(500 * attempt);
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildService {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs a service's `main.ts` in its own Node process (as it runs in production), so the
 * load generator in this process does not share the service's event loop.
 */
export async function spawnService(
  name: 'purchase' | 'payment',
  env: Record<string, string>,
): Promise<ChildService> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the service.
      ...(process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--enable-source-maps',
      '--import',
      'tsx',
      `${name}-service/${name}-backend/src/main.ts`,
    ],
    {
      cwd: REPO,
      env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited during start-up`);
    const ok = await fetch(`${url}/${name}/readyz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} not ready within 60 s`);
    }
    await sleep(200);
  }
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/**
 * The dev gateway (the ALB's stand-in) in a process of its own, in front of `routes`
 * (`{ '/purchase': url }`): the fans' requests take the same hop as in production, as the
 * queue bench's joins do (the same child script).
 */
export async function spawnGateway(routes: Record<string, string>): Promise<ChildService> {
  const child = fork(path.join(REPO, 'bench/queue/child.ts'), ['gateway'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_ROUTES: JSON.stringify(routes) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway not ready within 60 s')), 60_000);
    child.on('message', (m: { type: string; url?: string }) => {
      if (m.type !== 'ready') return;
      clearTimeout(timer);
      resolve(m.url!);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) during start-up`));
    });
  });
  return {
    url,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** pgbench from PATH, else from the newest Debian PostgreSQL binaries (the server packages bring it). */
function pgbenchBin(): string {
  if (spawnSync('pgbench', ['--version']).status === 0) return 'pgbench';
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`${root}/${v}/bin/pgbench`)) return `${root}/${v}/bin/pgbench`;
  throw new Error('pgbench not found: install the Debian package postgresql-client (or postgresql)');
}

export interface PgbenchOptions {
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
}

/** `pgbench -i` on the scratch database: the tables `runPgbench` then works on. */
export function initPgbench(db: TestDatabase, opts: PgbenchOptions): void {
  const { conn, name } = pgbenchTarget(db);
  const init = spawnSync(pgbenchBin(), [...conn, '-i', '-q', '-s', String(opts.scale), name], {
    encoding: 'utf8',
  });
  if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
}

/**
 * `pgbench -N -M prepared` on a database `initPgbench` set up: simple updates, each
 * statement parsed once (pgbench at its quickest, so the ratio to it flatters nobody);
 * returns TPS (without initial connection time).
 */
export function runPgbench(db: TestDatabase, opts: PgbenchOptions): { tps: number; command: string } {
  const { conn, name } = pgbenchTarget(db);
  const args = [
    '-N',
    '-M',
    'prepared',
    '-c',
    String(opts.clients),
    '-j',
    String(opts.threads),
    '-T',
    String(opts.seconds),
  ];
  const run = spawnSync(pgbenchBin(), [...conn, ...args, name], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`pgbench failed: ${run.stderr}`);
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(run.stdout);
  if (!m) throw new Error(`no TPS in pgbench output:\n${run.stdout}`);
  return { tps: Number(m[1]), command: `pgbench ${args.join(' ')} (scale ${opts.scale})` };
}

function pgbenchTarget(db: TestDatabase): { conn: string[]; name: string } {
  const u = new URL(db.url);
  return {
    conn: ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username) || 'postgres'],
    name: u.pathname.slice(1),
  };
}

/** Undoes set-up steps in reverse order, even when a later step failed (no leaked databases). */
export class Teardown {
  private readonly steps: (() => Promise<unknown>)[] = [];
  add<T>(resource: T, undo: (r: T) => Promise<unknown>): T {
    this.steps.push(() => undo(resource));
    return resource;
  }
  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
  }
}

/**
 * Feed bench (`npm run bench:feed [-- --smoke]`; `--smoke`: 2 s runs, for CI), with 1,000 published events:
 * - the public list endpoint's requests/s against a bare node:http server running the same
 *   query and shaping through pg (no cache), and its p99 at a fixed 1,000 req/s. The service
 *   caches rendered pages (FEED_CACHE_MAX_AGE_MS, see feed-service/README.md), so it is
 *   measured twice: as it ships (cached) and with the cache off (the same work as the bare
 *   server per request, plus Express and the kit);
 * - login (argon2id) cost: one verify on its own, logins/s in a storm, and the list's p99
 *   during the storm (hashing runs off the event loop).
 * Rates count 2xx answers only; the non-2xx and socket errors of the list runs are in the
 * JSON line (listNon2xx, listErrors).
 * Each server runs alone in its own process (child.ts), as in production: autocannon never
 * shares its event loop. They still share the machine's cores with autocannon and PostgreSQL,
 * so the max rates are taken in interleaved slices (the ratio then survives a change in what
 * else the machine is doing during the run).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { startSmtp } from '@ticketslave/dev/standins';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  testSigningKeys,
  viewerHeaders,
} from '@ticketslave/dev/test-support';
import { argon2Hasher } from '../../feed-service/feed-backend/src/domain/passwords';

const EVENTS = 1000;
const FANS = 200;
const PASSWORD = 'bench password for fans';
const DURATION = process.argv.includes('--smoke') ? 2 : Number(process.env.BENCH_SECONDS ?? 10);
const LIST_PATH = '/feed/api/events?limit=20';
/** BENCH_PROFILE=<dir>: the servers write V8 CPU profiles there (node --cpu-prof). */
const PROFILE_DIR = process.env.BENCH_PROFILE;

const CATEGORIES = JSON.stringify([
  {
    id: 'floor',
    name: 'Floor',
    kind: 'reserved',
    priceMinor: 8900,
    currency: 'EUR',
    sections: [{ name: 'Floor', rows: [{ from: 'A', to: 'J', seats: 20 }] }],
  },
  { id: 'ga', name: 'Standing', kind: 'ga', priceMinor: 4900, currency: 'EUR', capacity: 500 },
]);

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
  });
}

interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

interface Child {
  url: string;
  /** The server's event-loop delay since the last call. */
  loop(): Promise<LoopDelay>;
  stop(): Promise<void>;
}

async function startChild(role: 'feed' | 'bare', env: Record<string, string>): Promise<Child> {
  const proc: ChildProcess = fork(path.join(__dirname, 'child.ts'), [role], {
    execArgv: [
      '--import',
      'tsx',
      ...(PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${role}-${Date.now()}.cpuprofile`]
        : []),
    ],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((r) => proc.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not start in time`)), 120_000);
    proc.on('message', (m: { type: string; url: string }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code}) before it was ready`));
    });
  });
  return {
    url,
    loop: () =>
      new Promise<LoopDelay>((resolve) => {
        const onMessage = (m: LoopDelay & { type: string }) => {
          if (m.type !== 'loop') return;
          proc.off('message', onMessage);
          resolve(m);
        };
        proc.on('message', onMessage);
        proc.send({ type: 'loop' });
      }),
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ type: 'stop' });
      const kill = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    },
  };
}

const randomIp = () =>
  `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}`;

async function checkList(url: string): Promise<void> {
  const res = await fetch(url + LIST_PATH);
  const body = (await res.json()) as { items: unknown[] };
  if (body.items?.length !== 20) throw new Error(`list returned ${body.items?.length} items`);
}

type Measured = autocannon.Result & { loop?: LoopDelay };

/** Runs `phase` and notes the server's event-loop delay during it. */
async function observed(server: Child, phase: () => Promise<autocannon.Result>): Promise<Measured> {
  await server.loop();
  const result = await phase();
  return Object.assign(result, { loop: await server.loop() });
}

interface MaxRate {
  rps: number;
  /** Median over the slices. */
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  loop: LoopDelay;
}

/**
 * Max rate (50 connections) of several servers, in interleaved slices (rotating order), so a
 * change in the load the rest of the machine puts on the cores hits every server alike and
 * the ratio stays meaningful on a shared box.
 */
async function maxRates(servers: Child[], slices: number, sliceSeconds: number): Promise<MaxRate[]> {
  const runs: autocannon.Result[][] = servers.map(() => []);
  for (const s of servers) {
    await checkList(s.url);
    await run({ url: s.url + LIST_PATH, connections: 20, duration: 2 }); // warm-up
    await s.loop();
  }
  for (let i = 0; i < slices; i++)
    for (let j = 0; j < servers.length; j++) {
      const k = (i + j) % servers.length;
      runs[k]!.push(await run({ url: servers[k]!.url + LIST_PATH, connections: 50, duration: sliceSeconds }));
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Promise.all(
    servers.map(async (s, k) => {
      const r = runs[k]!;
      return {
        // Throughput is answers that served the list: a 4xx/5xx is quick and proves nothing.
        rps: r.reduce((n, x) => n + x['2xx'], 0) / r.reduce((n, x) => n + x.duration, 0),
        p50: median(r.map((x) => x.latency.p50)),
        p99: median(r.map((x) => x.latency.p99)),
        non2xx: r.reduce((n, x) => n + x.non2xx, 0),
        errors: r.reduce((n, x) => n + x.errors, 0),
        loop: await s.loop(),
      };
    }),
  );
}

/** p99 at a fixed 1,000 req/s. */
const fixedRate = (server: Child) =>
  observed(server, () =>
    run({ url: server.url + LIST_PATH, connections: 50, overallRate: 1000, duration: DURATION }),
  );

async function main() {
  const [db, kafka, smtp, keys] = await Promise.all([
    createTestDatabase('benchfeed'),
    createTestKafka('benchfeed'),
    startSmtp({ port: 0, httpPort: 0, maxMessages: 10 }),
    testSigningKeys('bench'),
  ]);
  const env = (cacheMs: number) =>
    serviceTestEnv('feed', db, kafka, {
      SESSION_SIGNING_JWKS: JSON.stringify(keys),
      SMTP_URL: smtp.url,
      LOG_LEVEL: 'fatal',
      // The same pool size as the bare server's.
      DB_POOL_SIZE: '10',
      FEED_CACHE_MAX_AGE_MS: String(cacheMs),
    });
  const pool = new Pool({ connectionString: db.url, max: 2, options: '-c search_path=feed,public' });
  const children: Child[] = [];
  try {
    // The uncached service first: it also creates the schema the fixtures go into.
    const uncached = await startChild('feed', env(0));
    children.push(uncached);
    const hasher = argon2Hasher(19456);
    const hash = await hasher.hash(PASSWORD);
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO users (email, password_hash, role, email_verified) VALUES ('bench-org@example.test', $1, 'organiser', true) RETURNING id`,
      [hash],
    );
    await pool.query(
      `INSERT INTO users (email, password_hash, email_verified)
       SELECT 'bench-fan-' || g || '@example.test', $1, true FROM generate_series(1, $2) g`,
      [hash, FANS],
    );
    await pool.query(
      `INSERT INTO events (organiser_id, status, version, title, artist, description, venue, city, starts_at, sale_starts_at,
         buffer_grace_seconds, queue, hold_seconds, per_user_limit, categories)
       SELECT $1, 'published', 1, 'Bench show ' || g, 'Artist ' || (g % 97), 'A benchmark event', 'Venue ' || (g % 31),
         'City ' || (g % 13), now() + make_interval(hours => g), now() + make_interval(mins => g), 300,
         '{"admitRatePerMinute":100,"maxActiveShoppers":200,"awayGraceSeconds":120}', 600, 4, $3
       FROM generate_series(1, $2) g`,
      [rows[0]!.id, EVENTS, CATEGORIES],
    );
    await pool.query('ANALYZE');

    // Login cost on its own: one argon2id verify (19 MiB, t=2), median of 15.
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = process.hrtime.bigint();
      await hasher.verify(hash, PASSWORD);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const verifyMs = times.sort((a, b) => a - b)[7]!;

    const bare = await startChild('bare', { DATABASE_URL: db.url });
    children.push(bare);
    const feed = await startChild('feed', env(2000));
    children.push(feed);
    const slices = Math.max(1, Math.round(DURATION / 2));
    const [bareRun, offMax, onMax] = (await maxRates([bare, uncached, feed], slices, 2)) as [
      MaxRate,
      MaxRate,
      MaxRate,
    ];
    await bare.stop();
    const offFixed = await fixedRate(uncached);
    await uncached.stop();
    const onFixed = await fixedRate(feed);

    let n = 0;
    await feed.loop();
    const [storm, during] = await Promise.all([
      run({
        url: feed.url,
        connections: 16,
        duration: DURATION,
        requests: [
          {
            method: 'POST',
            path: '/feed/api/session/login',
            setupRequest: (req) => ({
              ...req,
              headers: { 'content-type': 'application/json', ...viewerHeaders(randomIp()) },
              body: JSON.stringify({
                email: `bench-fan-${(n++ % FANS) + 1}@example.test`,
                password: PASSWORD,
              }),
            }),
          },
        ],
      }),
      run({ url: feed.url + LIST_PATH, connections: 10, overallRate: 200, duration: DURATION }),
    ]);
    const stormLoop = await feed.loop();

    const listRuns = [bareRun, offMax, onMax, offFixed, onFixed, during];
    const listNon2xx = listRuns.reduce((n, r) => n + r.non2xx, 0);
    const listErrors = listRuns.reduce((n, r) => n + r.errors, 0);
    const ratio = onMax.rps / bareRun.rps;
    const ratioOff = offMax.rps / bareRun.rps;
    const loginPerSec = storm['2xx'] / DURATION;
    const loopText = (loop?: LoopDelay) => (loop ? `${loop.p99Ms} / ${loop.maxMs} ms` : '');
    const line = (what: string, r: Measured, loop = r.loop) => ({
      what,
      rate: `${(r['2xx'] / r.duration).toFixed(0)} req/s`,
      p50: `${r.latency.p50} ms`,
      p99: `${r.latency.p99} ms`,
      errors: `non-2xx ${r.non2xx}, errors ${r.errors}`,
      'server loop delay p99 / max': loopText(loop),
    });
    const maxLine = (what: string, r: MaxRate) => ({
      what,
      rate: `${r.rps.toFixed(0)} req/s`,
      p50: `${r.p50} ms`,
      p99: `${r.p99} ms`,
      errors: `non-2xx ${r.non2xx}, errors ${r.errors}`,
      'server loop delay p99 / max': loopText(r.loop),
    });
    const note = (what: string, rate: string) => ({ what, rate });
    console.log(
      `Max rates: ${slices} interleaved 2 s slices per server (50 conns), p50/p99 = median over slices.`,
    );
    console.table([
      maxLine('list, bare node:http + pg, no cache', bareRun),
      maxLine('list, feed service, cache off', offMax),
      note('  ratio cache off / bare (target ≥ 0.6)', ratioOff.toFixed(2)),
      maxLine('list, feed service as shipped (page cache)', onMax),
      note('  ratio cached / bare (target ≥ 0.6)', ratio.toFixed(2)),
      line('list at fixed 1,000 req/s, cache off (target p99 < 50 ms)', offFixed),
      line('list at fixed 1,000 req/s, cached (target p99 < 50 ms)', onFixed),
      note('one argon2id verify (19 MiB, t=2), alone', `${verifyMs.toFixed(1)} ms`),
      line('login storm (16 conns), cached service', storm),
      note('  logins/s', loginPerSec.toFixed(1)),
      line('list at 200 req/s during the storm, cached', during, stormLoop),
    ]);
    console.log(
      JSON.stringify({
        bench: 'feed',
        cached: true,
        listRps: Math.round(onMax.rps),
        bareRps: Math.round(bareRun.rps),
        ratio: Number(ratio.toFixed(3)),
        p99Ms: onFixed.latency.p99,
        uncachedListRps: Math.round(offMax.rps),
        uncachedRatio: Number(ratioOff.toFixed(3)),
        uncachedP99Ms: offFixed.latency.p99,
        argon2VerifyMs: Number(verifyMs.toFixed(1)),
        loginPerSec: Number(loginPerSec.toFixed(1)),
        p99DuringLoginStormMs: during.latency.p99,
        listNon2xx,
        listErrors,
        loginNon2xx: storm.non2xx,
      }),
    );
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    await pool.end();
    await smtp.stop();
    await kafka.cleanup();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

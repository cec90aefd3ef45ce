/**
 * Feed bench (`npm run bench:feed`): the public list endpoint against a bare node:http
 * server running the same query through pg, p99 at a fixed 1,000 req/s, and logins/s
 * with the list's p99 during a login storm (argon2id hashing runs off the event loop).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { systemClock } from '@ticketslave/common';
import { startSmtp } from '@ticketslave/dev/standins';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  testSigningKeys,
} from '@ticketslave/dev/test-support';
import { loadFeedConfig } from '../../feed-service/feed-backend/src/config';
import { startFeedService } from '../../feed-service/feed-backend/src/start';
import { PgPublicEventStore } from '../../feed-service/feed-backend/src/data/public-events-repo';
import { PublicEvents } from '../../feed-service/feed-backend/src/domain/public-events';
import { argon2Hasher } from '../../feed-service/feed-backend/src/domain/passwords';

const EVENTS = 1000;
const FANS = 200;
const PASSWORD = 'bench password for fans';
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const LIST_PATH = '/feed/api/events?limit=20';

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

const randomIp = () =>
  `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}`;

async function main() {
  const [db, kafka, smtp, keys] = await Promise.all([
    createTestDatabase('benchfeed'),
    createTestKafka('benchfeed'),
    startSmtp({ port: 0, httpPort: 0, maxMessages: 10 }),
    testSigningKeys('bench'),
  ]);
  const feed = await startFeedService(
    loadFeedConfig(
      serviceTestEnv(db, kafka, {
        SESSION_SIGNING_JWKS: JSON.stringify(keys),
        SMTP_URL: smtp.url,
        LOG_LEVEL: 'fatal',
      }),
    ),
    { port: 0 },
  );
  const pool = new Pool({ connectionString: db.url, max: 10, options: '-c search_path=feed,public' });
  let bare: http.Server | undefined;
  try {
    const hash = await argon2Hasher(19456).hash(PASSWORD);
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

    // The same query and shaping as the service, minus Express and the kit.
    const publicEvents = new PublicEvents(
      new PgPublicEventStore({
        query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T,
      }),
      systemClock,
    );
    bare = http.createServer((_req, res) => {
      publicEvents.list({ limit: 20 }).then(
        (page) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(page));
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    });
    await new Promise<void>((r) => bare!.listen(0, '127.0.0.1', r));
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

    const check = (await (await fetch(feed.url + LIST_PATH)).json()) as { items: unknown[] };
    if (check.items.length !== 20) throw new Error(`list returned ${check.items.length} items`);

    await run({ url: feed.url + LIST_PATH, connections: 20, duration: 2 }); // warm-up
    const list = await run({ url: feed.url + LIST_PATH, connections: 50, duration: DURATION });
    const bareRun = await run({ url: bareUrl + LIST_PATH, connections: 50, duration: DURATION });
    const fixed = await run({
      url: feed.url + LIST_PATH,
      connections: 50,
      overallRate: 1000,
      duration: DURATION,
    });

    let n = 0;
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
              headers: { 'content-type': 'application/json', 'x-forwarded-for': randomIp() },
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

    const ratio = list.requests.average / bareRun.requests.average;
    const loginPerSec = storm['2xx'] / DURATION;
    const rows2 = [
      [
        'list, feed service (50 conns)',
        `${list.requests.average.toFixed(0)} req/s`,
        `p99 ${list.latency.p99} ms`,
        `non-2xx ${list.non2xx}`,
      ],
      [
        'list, bare node:http + pg',
        `${bareRun.requests.average.toFixed(0)} req/s`,
        `p99 ${bareRun.latency.p99} ms`,
        `non-2xx ${bareRun.non2xx}`,
      ],
      ['ratio feed / bare (target ≥ 0.6)', ratio.toFixed(2), '', ''],
      [
        'list at fixed 1,000 req/s (target p99 < 50 ms)',
        `${fixed.requests.average.toFixed(0)} req/s`,
        `p99 ${fixed.latency.p99} ms`,
        `non-2xx ${fixed.non2xx}`,
      ],
      [
        'login storm (16 conns, argon2id 19 MiB)',
        `${loginPerSec.toFixed(1)} logins/s`,
        `p99 ${storm.latency.p99} ms`,
        `non-2xx ${storm.non2xx}`,
      ],
      [
        'list at 200 req/s during the storm',
        `${during.requests.average.toFixed(0)} req/s`,
        `p99 ${during.latency.p99} ms`,
        `non-2xx ${during.non2xx}`,
      ],
    ];
    console.table(rows2.map(([what, rate, p99, errors]) => ({ what, rate, p99, errors })));
    console.log(
      JSON.stringify({
        bench: 'feed',
        listRps: Math.round(list.requests.average),
        bareRps: Math.round(bareRun.requests.average),
        ratio: Number(ratio.toFixed(3)),
        p99Ms: fixed.latency.p99,
        loginPerSec: Number(loginPerSec.toFixed(1)),
        p99DuringLoginStormMs: during.latency.p99,
      }),
    );
  } finally {
    await new Promise((r) => (bare ? bare.close(r) : r(undefined)));
    await pool.end();
    await feed.stop();
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

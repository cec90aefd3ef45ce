/**
 * Organiser bench (`npm run bench:organiser [-- --smoke] [--orders N] [--seconds S]`).
 *
 * One event with N paid orders (50,000; one ticket each, real signed codes) written
 * straight into a purchase service's database (its own process, fresh database, private
 * Kafka namespace); then, open loop (requests sent on a clock, not after the previous
 * answer):
 * 1. the orders list's first page, and a search by e-mail, each at 50 requests/s;
 * 2. the streamed CSV export of every order: seconds, and the service's peak RSS growth
 *    (VmRSS sampled every 20 ms, minus the RSS before);
 * 3. online check-in scans of distinct tickets at 100 scans/s, each the live code the fan's
 *    phone shows (`<jwt>~<window>~<totp>`, issue 20.6; loopback round trip, an upper bound
 *    of the server's time), and a batch of 90-s-old codes (screenshots), all refused;
 * 4. the rotating-code check itself, in process, as the service runs it before any ticket
 *    row is touched (signature + TOTP of the window, the event's code key read once): per
 *    code, live and expired.
 * Members are spread over a few accounts, as several organisers and door phones would be,
 * so the per-member rate limits do not answer 429. Prints a table and, last, one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { TokenSigner } from '@ticketslave/common';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  sleep,
  startTestIdentity,
  testSigningKeys,
} from '@ticketslave/dev/test-support';
import { liveTicketCode, parseSecret, ticketSecret } from '@ticketslave/contracts';
import { PgEventStore } from '../../purchase-service/purchase-backend/src/data/events-repo';
import { TicketCodes } from '../../purchase-service/purchase-backend/src/domain/ticket-codes';
import {
  eventSnapshot,
  percentile,
  publishEvent,
  round,
  settingUp,
  spawnService,
  Teardown,
} from '../purchase/lib';
import { KafkaBus, createLogger, envelope, type Queryable } from '@ticketslave/common';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const smoke = process.argv.includes('--smoke');
const num = (name: string, full: number, small: number) => Number(arg(name) ?? (smoke ? small : full));
const cfg = {
  orders: num('orders', 50_000, 2_000),
  seconds: num('seconds', 10, 2),
  listRate: num('list-rate', 50, 50),
  scanRate: num('scan-rate', 100, 100),
  codeChecks: num('code-checks', 20_000, 2_000),
  screenshots: num('screenshots', 200, 50),
};
const log = (line: string) => console.error(`[bench:organiser] ${line}`);

/** Sends `rate` requests a second for `seconds` on a clock; every latency in ms, and the failures. */
async function openLoop(rate: number, seconds: number, send: (i: number) => Promise<Response>) {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await send(i);
          await res.arrayBuffer();
          if (!res.ok) failures[res.status] = (failures[res.status] ?? 0) + 1;
        } catch (err) {
          failures[(err as Error).message] = (failures[(err as Error).message] ?? 0) + 1;
        }
        latencies.push(performance.now() - t0);
      })(),
    );
  }
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  return { requests: total, p50: percentile(latencies, 50), p99: percentile(latencies, 99), failures };
}

const rssKb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

async function main(): Promise<void> {
  const started = Date.now();
  log(`config ${JSON.stringify(cfg)}${smoke ? ' (smoke)' : ''}`);
  const td = new Teardown();
  try {
    const db = td.add(await createTestDatabase('benchorganiser'), (d) => d.drop());
    const kafka = td.add(await settingUp(() => createTestKafka('benchorg')), (k) => k.cleanup());
    const identity = td.add(await startTestIdentity(), (i) => i.stop());
    const ticketKeys = await testSigningKeys('bench-ticket');
    const env = serviceTestEnv('purchase', db, kafka, {
      FEED_JWKS_URL: identity.feed.jwksUrl,
      QUEUE_JWKS_URL: identity.queue.jwksUrl,
      TICKET_SIGNING_JWKS: JSON.stringify(ticketKeys),
    });
    const svc = td.add(await spawnService('purchase', env), (x) => x.stop());

    // The event and its organisation, as feed announces them.
    const eventId = randomUUID();
    const organisationId = randomUUID();
    const managers = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const doors = Array.from({ length: 10 }, (_, i) => `door${i + 1}`);
    const bus = new KafkaBus({
      clientId: 'bench-organiser',
      brokers: kafka.brokers,
      logger: createLogger('bench', 'silent'),
      topicPrefix: kafka.prefix,
    });
    await settingUp(() => bus.start());
    await settingUp(() =>
      bus.publish([
        {
          topic: 'organisation.updated',
          envelope: envelope('organisation.updated', {
            organisationId,
            version: 1,
            name: 'Bench Promotions',
            settings: { releaseSeatsOnExternalRefund: true },
            members: [
              ...managers.map((userId) => ({ userId, role: 'manager' as const })),
              ...doors.map((userId) => ({ userId, role: 'door' as const })),
            ],
          }),
        },
      ]),
    );
    await bus.stop();
    await publishEvent(
      kafka,
      eventSnapshot(
        eventId,
        { sections: ['Floor'], rows: 10, seatsPerRow: 10 },
        { organisationId, organiserId: 'm1' },
      ),
    );
    const pg = new Client({ connectionString: db.url, options: '-c search_path=purchase,public' });
    await pg.connect();
    td.add(pg, (c) => c.end());
    for (const deadline = Date.now() + 60_000; ;) {
      const ready = await pg.query(
        `SELECT (SELECT count(*) FROM events WHERE event_id = $1)::int AS e, (SELECT count(*) FROM organisation_members WHERE organisation_id = $2)::int AS m`,
        [eventId, organisationId],
      );
      if (ready.rows[0].e === 1 && ready.rows[0].m === managers.length + doors.length) break;
      if (Date.now() > deadline) throw new Error('purchase never took the event and its organisation');
      await sleep(200);
    }

    // N paid orders, one ticket each, with codes signed by the service's own key.
    const seedStart = Date.now();
    const codes = new TicketCodes(await TokenSigner.fromJwks(ticketKeys));
    const now = new Date();
    const startsAt = new Date(Date.now() + 30 * 86_400_000);
    const ticketIds: string[] = [];
    const ticketCodes: string[] = [];
    for (let i = 0; i < cfg.orders; i++) {
      const ticketId = randomUUID();
      ticketIds.push(ticketId);
      ticketCodes.push(
        await codes.sign(
          { ticketId, eventId, unitId: `seats/Arena/${Math.floor(i / 100)}/${(i % 100) + 1}` },
          startsAt,
          now,
        ),
      );
    }
    const batch = 5_000;
    for (let from = 0; from < cfg.orders; from += batch) {
      const n = Math.min(batch, cfg.orders - from);
      await pg.query(
        `WITH o AS (
           INSERT INTO orders (order_id, event_id, user_id, email, admission_id, status, amount_minor, currency,
                               created_at, expires_at, buyer_name, authorized_at, paid_at, payment_intent_id)
           SELECT gen_random_uuid(), $1, 'fan-' || g, 'fan' || g || '@bench.example', 'adm-' || g, 'paid', 6000, 'EUR',
                  now() - g * interval '1 second', now(), 'Fan ' || g, now(), now(), 'pi_bench_' || g
           FROM generate_series($2::int, $3::int) AS g
           RETURNING order_id, user_id, substring(user_id from 5)::int AS g),
         i AS (
           INSERT INTO order_items (order_id, unit_id, category_id, section, row_label, seat, price_minor)
           SELECT order_id, 'seats/Arena/' || (g / 100) || '/' || (g % 100 + 1), 'seats', 'Arena', (g / 100)::text, g % 100 + 1, 6000 FROM o)
         INSERT INTO tickets (ticket_id, order_id, event_id, user_id, unit_id, code, issued_at)
         SELECT ($4::uuid[])[g - $2 + 1], order_id, $1, user_id, 'seats/Arena/' || (g / 100) || '/' || (g % 100 + 1),
                ($5::text[])[g - $2 + 1], now()
         FROM o`,
        [eventId, from, from + n - 1, ticketIds.slice(from, from + n), ticketCodes.slice(from, from + n)],
      );
    }
    await pg.query('ANALYZE');
    const seedSeconds = (Date.now() - seedStart) / 1000;
    log(`${cfg.orders} orders written in ${seedSeconds.toFixed(1)} s`);

    const cookies = new Map<string, string>();
    for (const id of [...managers, ...doors])
      cookies.set(id, await identity.sessionCookie({ id, role: 'organiser' }));
    const base = `${svc.url}/purchase/api/organiser/events/${eventId}`;
    const as = (id: string) => ({ cookie: cookies.get(id)! });

    // Warm-up: a few of each, so the first measured request does not pay for JIT and plans.
    for (let i = 0; i < 20; i++) {
      await (await fetch(`${base}/orders?limit=50`, { headers: as(managers[i % 5]!) })).arrayBuffer();
      await (await fetch(`${base}/orders?q=fan${i}@`, { headers: as(managers[i % 5]!) })).arrayBuffer();
    }

    const list = await openLoop(cfg.listRate, cfg.seconds, (i) =>
      fetch(`${base}/orders?limit=50`, { headers: as(managers[i % managers.length]!) }),
    );
    log(`orders first page: p99 ${list.p99.toFixed(1)} ms`);
    const search = await openLoop(cfg.listRate, cfg.seconds, (i) =>
      fetch(`${base}/orders?q=${encodeURIComponent(`fan${(i * 7919) % cfg.orders}@bench.example`)}`, {
        headers: as(managers[i % managers.length]!),
      }),
    );
    log(`search by e-mail: p99 ${search.p99.toFixed(1)} ms`);

    // CSV of every order, streamed; the service's RSS sampled while it streams.
    const rssBefore = rssKb(svc.pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(svc.pid))), 20);
    const csvStart = performance.now();
    const res = await fetch(`${base}/orders.csv`, { headers: as('m1') });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    const csvSeconds = (performance.now() - csvStart) / 1000;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssKb(svc.pid));
    const csvRows = lines - 1;
    const csvRssMb = (rssPeak - rssBefore) / 1024;
    log(
      `CSV: ${csvRows} rows, ${(bytes / 1e6).toFixed(1)} MB in ${csvSeconds.toFixed(2)} s, RSS +${csvRssMb.toFixed(1)} MB`,
    );

    // Each ticket's TOTP secret, as its fan's page has it (derived from the event's code key).
    const { code_key: codeKey } = (
      await pg.query<{ code_key: string }>(`SELECT code_key FROM events WHERE event_id = $1`, [eventId])
    ).rows[0]!;
    const secrets = ticketIds.map((id) => parseSecret(ticketSecret(codeKey, id)));
    const liveAt = (i: number, ms: number) => liveTicketCode(ticketCodes[i]!, secrets[i]!, ms);

    // The rotating-code check, in process: what the service does to a scanned code before any
    // ticket row (the same TicketCodes.check, its code key read from PostgreSQL once).
    // The repository speaks TypeORM's query (rows), the bench's client pg's (a result).
    const events = new PgEventStore({
      query: async (sql: string, params?: unknown[]) => (await pg.query(sql, params)).rows,
    } as Queryable);
    const checkLatencies = (codesToCheck: string[]) => {
      const run = async () => {
        const out: number[] = [];
        let refused = 0;
        for (const code of codesToCheck) {
          const t0 = performance.now();
          const r = await codes.check(code, new Date(), events);
          out.push(performance.now() - t0);
          if ('refusal' in r) refused++;
        }
        out.sort((a, b) => a - b);
        return { p50: percentile(out, 50), p99: percentile(out, 99), max: out[out.length - 1]!, refused };
      };
      return run();
    };
    const n = Math.min(cfg.codeChecks, cfg.orders);
    await checkLatencies(ticketIds.slice(0, 200).map((_, i) => liveAt(i, Date.now()))); // warm-up
    const liveCheck = await checkLatencies(ticketIds.slice(0, n).map((_, i) => liveAt(i, Date.now())));
    const expiredCheck = await checkLatencies(
      ticketIds.slice(0, n).map((_, i) => liveAt(i, Date.now() - 90_000)),
    );
    log(
      `rotating-code check: live p99 ${liveCheck.p99.toFixed(3)} ms (${liveCheck.refused} refused), expired p99 ${expiredCheck.p99.toFixed(3)} ms (${expiredCheck.refused} refused)`,
    );

    // Check-in: distinct tickets, spread over the door phones, each the code shown now.
    const scans = Math.min(cfg.orders, Math.round(cfg.scanRate * cfg.seconds));
    const checkin = await openLoop(cfg.scanRate, scans / cfg.scanRate, (i) =>
      fetch(`${base}/checkin/scans`, {
        method: 'POST',
        headers: { ...as(doors[i % doors.length]!), 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: `bench-${doors[i % doors.length]}`, code: liveAt(i, Date.now()) }),
      }),
    );
    // Screenshots: codes of tickets not yet in, as their phones showed them 90 s ago.
    let screenshotsRefused = 0;
    const shots = Math.min(cfg.screenshots, cfg.orders - scans);
    for (let k = 0; k < shots; k++) {
      const i = scans + k;
      const r = await fetch(`${base}/checkin/scans`, {
        method: 'POST',
        headers: { ...as(doors[k % doors.length]!), 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: 'bench-screenshots', code: liveAt(i, Date.now() - 90_000) }),
      });
      if (((await r.json()) as { verdict?: string }).verdict === 'expired') screenshotsRefused++;
    }
    const admitted = (
      await pg.query(
        `SELECT count(*)::int AS n FROM tickets WHERE event_id = $1 AND checked_in_at IS NOT NULL`,
        [eventId],
      )
    ).rows[0].n as number;
    log(`check-in: p99 ${checkin.p99.toFixed(1)} ms, ${admitted} admitted`);

    const failures = { list: list.failures, search: search.failures, checkin: checkin.failures };
    const ok =
      csvRows === cfg.orders &&
      admitted === scans &&
      screenshotsRefused === shots &&
      liveCheck.refused === 0 &&
      expiredCheck.refused === n &&
      Object.values(failures).every((f) => Object.keys(f).length === 0);
    const rows: [string, string][] = [
      ['orders (paid, one event)', String(cfg.orders)],
      ['seeding (s)', seedSeconds.toFixed(1)],
      [
        `orders first page at ${cfg.listRate}/s: p50 / p99 (ms) (target p99 < 100)`,
        `${list.p50.toFixed(1)} / ${list.p99.toFixed(1)}`,
      ],
      [
        `search by e-mail at ${cfg.listRate}/s: p50 / p99 (ms) (target p99 < 100)`,
        `${search.p50.toFixed(1)} / ${search.p99.toFixed(1)}`,
      ],
      ['CSV export: rows / MB', `${csvRows} / ${(bytes / 1e6).toFixed(1)}`],
      ['CSV export: seconds (target < 5)', csvSeconds.toFixed(2)],
      ['CSV export: backend peak RSS growth (MB) (target < 50)', csvRssMb.toFixed(1)],
      [
        `check-in scans at ${cfg.scanRate}/s: p50 / p99 (ms) (target p99 < 20)`,
        `${checkin.p50.toFixed(1)} / ${checkin.p99.toFixed(1)}`,
      ],
      ['check-in: admitted / scanned', `${admitted} / ${scans}`],
      ['check-in: 90-s-old codes refused as expired / sent', `${screenshotsRefused} / ${shots}`],
      [
        `rotating-code check, live (in process, ${n} codes): p50 / p99 / max (ms) (target p99 < 5)`,
        `${liveCheck.p50.toFixed(3)} / ${liveCheck.p99.toFixed(3)} / ${liveCheck.max.toFixed(3)}`,
      ],
      [
        `rotating-code check, expired (in process, ${n} codes): p50 / p99 / max (ms) (target p99 < 5)`,
        `${expiredCheck.p50.toFixed(3)} / ${expiredCheck.p99.toFixed(3)} / ${expiredCheck.max.toFixed(3)}`,
      ],
      ['failures', JSON.stringify(failures)],
      ['checks', ok ? 'PASS' : 'FAIL'],
      ['total wall time (s)', ((Date.now() - started) / 1000).toFixed(0)],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log('');
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
    console.log(
      '(2-core machine shared with other work: figures are noisy; latencies are loopback round trips)',
    );
    console.log(
      JSON.stringify({
        bench: 'organiser',
        orders: cfg.orders,
        ordersP99Ms: round(list.p99),
        searchP99Ms: round(search.p99),
        csvSeconds: round(csvSeconds, 2),
        csvRssMb: round(csvRssMb),
        checkinP99Ms: round(checkin.p99),
        codeCheckP99Ms: round(liveCheck.p99, 3),
        expiredCodeCheckP99Ms: round(expiredCheck.p99, 3),
        screenshotsRefused,
      }),
    );
    if (!ok) process.exitCode = 1;
  } finally {
    await td.run();
  }
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

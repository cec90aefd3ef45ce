import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  sleep,
  startTestIdentity,
  testSigningKeys,
  viewerHeaders,
} from '@ticketslave/dev/test-support';
import { postgresCpuMs, sampleProc } from '../onsale/monitor';
import { perRequest as statementsPerRequest, statementCounts } from './statements';
import {
  eventSnapshot,
  percentile,
  publishEvent,
  round,
  settingUp,
  spawnGateway,
  spawnService,
  Teardown,
} from './lib';

/**
 * CPU so far (ms): the service process, the gateway, PostgreSQL (all of it: every database of
 * the shared server), this process (the load generator), and per backend of the bench's own
 * database (`dbBackends`, pid → ms), which is what the holds cost PostgreSQL whatever else
 * the shared server is doing.
 */
async function cpuNow(
  servicePid: number,
  gatewayPid: number,
  pg: Client,
): Promise<{
  service: number;
  gateway: number;
  postgres: number;
  loadgen: number;
  dbBackends: Map<number, number>;
}> {
  const own = process.cpuUsage();
  const pids = await pg.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  const dbBackends = new Map<number, number>();
  for (const { pid } of pids.rows) {
    const ticks = sampleProc(pid)?.cpuTicks;
    if (ticks !== undefined) dbBackends.set(pid, ticks * 10);
  }
  return {
    service: (sampleProc(servicePid)?.cpuTicks ?? 0) * 10,
    gateway: (sampleProc(gatewayPid)?.cpuTicks ?? 0) * 10,
    postgres: postgresCpuMs(),
    loadgen: (own.user + own.system) / 1000,
    dbBackends,
  };
}

/** CPU the bench database's backends used between two samples (a backend new since the first counts whole). */
function backendsCpuMs(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, now] of after) ms += now - (before.get(pid) ?? 0);
  return ms;
}

export interface RaceOptions {
  sections: string[];
  rows: number;
  seatsPerRow: number;
  seconds: number;
  concurrency: number;
  warmupSeconds: number;
  /** How many of the best still-available seats (as the fan's stale view shows them) a fan picks from. */
  window: number;
  /**
   * Keep racing past `seconds` until every seat is held, for at most this many seconds in
   * all (smoke runs: a sold-out event whatever the machine's load, so "every seat held
   * once" is checked on every seat).
   */
  sellOutWithinSeconds?: number;
  log: (line: string) => void;
}

export interface RaceResult {
  seats: number;
  requests: number;
  holds: number;
  refusals: number;
  otherStatuses: Record<string, number>;
  heldOrSold: number;
  doubleHolds: number;
  dbMismatch: number;
  wrongRefusals: number;
  durationSec: number;
  holdsPerSec: number;
  requestsPerSec: number;
  seatsHeldPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p99HoldMs: number;
  /**
   * CPU ms per hold request (201 or 409) during the timed race, by process: `postgres` is the
   * backends of the bench's database, `postgresAll` every PostgreSQL process of the shared
   * server (other work on it included).
   */
  cpuPerRequest: {
    purchase: number;
    gateway: number;
    postgres: number;
    postgresAll: number;
    loadgen: number;
  };
  maxMs: number;
}

interface Outcome {
  seats: string[];
  status: number;
  startMs: number;
  endMs: number;
  type?: string;
  taken?: string[];
}

/** A deterministic pseudo-random generator, so a run can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/**
 * Part 1: admitted fans race for overlapping seats through the real HTTP API, behind the
 * dev gateway as in production (the ALB's hop).
 *
 * Fan model: every fan has their own session and admission (so one order each) and a
 * stale view of the seat map — the seats this client saw confirmed so far. They pick a
 * block of 1–4 adjacent seats of a row, starting at one of the `window` best seats that
 * view still shows free, all of them shown free; with `concurrency` requests in flight choosing from the same front seats,
 * requests overlap constantly. A fan refused with 409 picks again (up to 3 tries, as
 * real fans do), then the next fan comes.
 */
export async function runRace(o: RaceOptions): Promise<RaceResult> {
  const td = new Teardown();
  try {
    const db = td.add(await createTestDatabase('benchpurchase'), (d) => d.drop());
    const kafka = td.add(await settingUp(() => createTestKafka('benchpurch')), (k) => k.cleanup());
    const identity = td.add(await startTestIdentity(), (i) => i.stop());
    const env = serviceTestEnv('purchase', db, kafka, {
      FEED_JWKS_URL: identity.feed.jwksUrl,
      QUEUE_JWKS_URL: identity.queue.jwksUrl,
      TICKET_SIGNING_JWKS: JSON.stringify(await testSigningKeys('bench-ticket')),
    });
    const svc = td.add(await spawnService('purchase', env), (x) => x.stop());
    const gateway = td.add(await spawnGateway({ '/purchase': svc.url }), (x) => x.stop());
    const pg = new Client({ connectionString: db.url, options: '-c search_path=purchase,public' });
    await pg.connect();
    td.add(pg, (c) => c.end());
    {
      type Layout = { sections: string[]; rows: number; seatsPerRow: number };
      const publish = async (eventId: string, layout: Layout) => {
        const capacity = layout.sections.length * layout.rows * layout.seatsPerRow;
        const t0 = Date.now();
        await publishEvent(kafka, eventSnapshot(eventId, layout));
        for (;;) {
          const r = await pg
            .query<{ n: number }>(`SELECT count(*)::int AS n FROM units WHERE event_id = $1`, [eventId])
            .catch(() => ({ rows: [{ n: 0 }] }));
          if (r.rows[0]!.n === capacity) break;
          if (Date.now() - t0 > 120_000) throw new Error('inventory was not built within 120 s');
          await sleep(200);
        }
        o.log(`inventory of ${capacity} seats built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return capacity;
      };
      const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
      let fanNo = 0;
      const load = async (
        eventId: string,
        layout: Layout,
        seconds: number,
        prefill: number,
        sellOutWithinSeconds?: number,
      ) => {
        // Seats in the order fans prefer them: front rows first, then across sections.
        const order: { id: string; row: number; sec: number; seat: number }[] = [];
        for (let row = 1; row <= layout.rows; row++)
          for (let sec = 0; sec < layout.sections.length; sec++)
            for (let seat = 1; seat <= layout.seatsPerRow; seat++)
              order.push({ id: `seats/${layout.sections[sec]}/${row}/${seat}`, row, sec, seat });
        const indexOf = new Map(order.map((s, i) => [s.id, i]));
        const knownTaken = new Uint8Array(order.length);
        let frontier = 0;
        const rand = rng(20_000);
        const pick = (): string[] => {
          while (frontier < order.length && knownTaken[frontier]) frontier++;
          const candidates: number[] = [];
          for (let i = frontier; i < order.length && candidates.length < o.window; i++)
            if (!knownTaken[i]) candidates.push(i);
          // Sold out as far as this view knows: fans still try random seats (and are refused).
          const at = candidates.length
            ? candidates[Math.floor(rand() * candidates.length)]!
            : Math.floor(rand() * order.length);
          const s = order[at]!;
          const n = 1 + Math.floor(rand() * 4);
          // Adjacent seats of the same row that this view shows free (the seat map does not
          // let a fan pick a seat it shows taken), to the right first, then to the left.
          const id = (seat: number) => `seats/${layout.sections[s.sec]}/${s.row}/${seat}`;
          const free = (seat: number) =>
            seat >= 1 && seat <= layout.seatsPerRow && !knownTaken[indexOf.get(id(seat))!];
          let first = s.seat;
          let last = s.seat;
          while (last - first + 1 < n && free(last + 1)) last++;
          while (last - first + 1 < n && free(first - 1)) first--;
          return Array.from({ length: last - first + 1 }, (_, k) => id(first + k));
        };

        const url = new URL(`${gateway.url}/purchase/api/events/${eventId}/holds`);
        const post = (cookie: string, ip: string, body: string) =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            const req = http.request(
              {
                host: url.hostname,
                port: url.port,
                path: url.pathname,
                method: 'POST',
                agent,
                headers: {
                  cookie,
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(body),
                  // Fans come from many addresses (through CloudFront); one bench IP would
                  // otherwise hit purchase's per-IP limit like a single abusive client.
                  ...viewerHeaders(ip),
                },
              },
              (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () =>
                  resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
                );
                res.on('error', reject);
              },
            );
            req.on('error', reject);
            req.end(body);
          });

        // Fans' cookies are signed before the clock starts (in production other services
        // sign them, long before the fan clicks): the load generator shares the machine
        // with the service and its database, and signing would be its biggest cost.
        const credentials = async (n: number) => {
          const user = `bench-fan-${n}`;
          return `${await identity.sessionCookie({ id: user })}; ${await identity.admissionCookie(user, eventId, randomUUID())}`;
        };
        const minted: string[] = [];
        for (let i = 0; i < prefill; i++) minted.push(await credentials(fanNo + i));
        let nextMinted = 0;

        const outcomes: Outcome[] = [];
        let stop = false;
        let timeUp = false;
        let seatsWon = 0;
        const soldOut = () => seatsWon >= order.length;
        const began = performance.now();
        const worker = async () => {
          while (!stop) {
            const n = fanNo++;
            const cookie = minted[nextMinted++] ?? (await credentials(n));
            const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
            for (let attempt = 0; attempt < 3 && !stop; attempt++) {
              const seats = pick();
              const startMs = performance.now();
              const res = await post(cookie, ip, JSON.stringify({ seats }));
              const endMs = performance.now();
              const out: Outcome = { seats, status: res.status, startMs, endMs };
              if (res.status === 409) {
                const b = JSON.parse(res.body) as { type?: string; taken?: string[] };
                out.type = b.type;
                out.taken = b.taken;
                for (const t of b.taken ?? []) {
                  const i = indexOf.get(t);
                  if (i !== undefined) knownTaken[i] = 1;
                }
              }
              outcomes.push(out);
              if (res.status === 201) {
                for (const s of seats) knownTaken[indexOf.get(s)!] = 1;
                seatsWon += seats.length;
                if (timeUp && soldOut()) stop = true;
                break;
              }
              if (res.status !== 409) break;
            }
          }
        };
        const statementsBefore = await statementCounts(pg);
        const cpuBefore = await cpuNow(svc.pid, gateway.pid, pg);
        const timer = setTimeout(() => {
          timeUp = true;
          if (!sellOutWithinSeconds || soldOut()) stop = true;
        }, seconds * 1000);
        const cap = sellOutWithinSeconds
          ? setTimeout(() => (stop = true), sellOutWithinSeconds * 1000)
          : undefined;
        await Promise.all(Array.from({ length: o.concurrency }, worker));
        clearTimeout(timer);
        clearTimeout(cap);
        const cpuAfter = await cpuNow(svc.pid, gateway.pid, pg);
        const statementsAfter = await statementCounts(pg);
        const statements =
          statementsBefore && statementsAfter
            ? statementsPerRequest(statementsBefore, statementsAfter, Math.max(1, outcomes.length))
            : undefined;
        if (nextMinted > minted.length)
          o.log(`${nextMinted - minted.length} fans' cookies were signed during the run (raise the prefill)`);
        const perRequest = (ms: number) => round(ms / Math.max(1, outcomes.length), 3);
        const used = (k: 'service' | 'gateway' | 'postgres' | 'loadgen') =>
          perRequest(cpuAfter[k] - cpuBefore[k]);
        const cpuPerRequest = {
          purchase: used('service'),
          gateway: used('gateway'),
          postgres: perRequest(backendsCpuMs(cpuBefore.dbBackends, cpuAfter.dbBackends)),
          postgresAll: used('postgres'),
          loadgen: used('loadgen'),
        };
        return { outcomes, durationSec: (performance.now() - began) / 1000, cpuPerRequest, statements };
      };

      // Warm-up on a small event of its own (JIT, JWKS caches, connection pools), discarded.
      const warmLayout = { ...o, rows: Math.max(1, Math.ceil(o.rows / 10)) };
      const warmEvent = randomUUID();
      await publish(warmEvent, warmLayout);
      const warm = await load(warmEvent, warmLayout, o.warmupSeconds, 1200 * o.warmupSeconds);
      o.log(`warm-up: ${warm.outcomes.length} requests in ${warm.durationSec.toFixed(1)} s (discarded)`);

      const eventId = randomUUID();
      const capacity = await publish(eventId, o);
      // Enough fans for the whole race (about 600 a second were used): a fan minted during the
      // race would put the load generator's token signing on the measured machine.
      const { outcomes, durationSec, cpuPerRequest, statements } = await load(
        eventId,
        o,
        o.seconds,
        1200 * o.seconds,
        o.sellOutWithinSeconds,
      );
      agent.destroy();
      if (statements)
        o.log(
          `statements per hold request (pg_stat_statements, calls and rows): ${JSON.stringify(statements)}`,
        );

      // --- checks ---
      const won = outcomes.filter((x) => x.status === 201);
      const refused = outcomes.filter((x) => x.status === 409);
      const otherStatuses: Record<string, number> = {};
      for (const x of outcomes)
        if (x.status !== 201 && x.status !== 409)
          otherStatuses[String(x.status)] = (otherStatuses[String(x.status)] ?? 0) + 1;
      const winnerStart = new Map<string, number>();
      for (const w of won)
        for (const s of w.seats) winnerStart.set(s, Math.min(winnerStart.get(s) ?? Infinity, w.startMs));
      // The race test's rule, in time: a refusal must name at least one seat, only seats it
      // asked for, and each of them held by a successful request that had begun before the
      // refusal came back. Anything else (or any other 409 type) is a wrong refusal.
      let wrongRefusals = 0;
      for (const r of refused) {
        const taken = r.taken ?? [];
        const ok =
          /seats_taken$/.test(r.type ?? '') &&
          taken.length > 0 &&
          taken.every((t) => r.seats.includes(t) && (winnerStart.get(t) ?? Infinity) <= r.endMs);
        if (!ok) wrongRefusals++;
      }
      const claimed = won.flatMap((w) => w.seats);
      const counts = await pg.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM units WHERE event_id = $1 GROUP BY status`,
        [eventId],
      );
      const by = Object.fromEntries(counts.rows.map((r) => [r.status, r.n]));
      const heldOrSold = (by.held ?? 0) + (by.sold ?? 0);
      const dup = await pg.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (
         SELECT i.unit_id FROM order_items i JOIN orders o USING (order_id)
         WHERE o.event_id = $1 AND o.status IN ('pending_payment', 'confirmed', 'paid')
         GROUP BY i.unit_id HAVING count(*) > 1) d`,
        [eventId],
      );
      const doubleHolds = dup.rows[0]!.n + (claimed.length - new Set(claimed).size);
      // The database must hold exactly the seats the 201s were given, each for its order.
      const held = await pg.query<{ unit_id: string }>(
        `SELECT u.unit_id FROM units u JOIN order_items i ON i.order_id = u.order_id AND i.unit_id = u.unit_id
       WHERE u.event_id = $1 AND u.status = 'held'`,
        [eventId],
      );
      const dbSet = new Set(held.rows.map((r) => r.unit_id));
      const claimedSet = new Set(claimed);
      let dbMismatch = Math.abs(heldOrSold - held.rows.length);
      for (const s of claimedSet) if (!dbSet.has(s)) dbMismatch++;
      for (const s of dbSet) if (!claimedSet.has(s)) dbMismatch++;

      const lat = outcomes.map((x) => x.endMs - x.startMs).sort((a, b) => a - b);
      const holdLat = won.map((x) => x.endMs - x.startMs).sort((a, b) => a - b);
      return {
        seats: capacity,
        requests: outcomes.length,
        holds: won.length,
        refusals: refused.length,
        otherStatuses,
        heldOrSold,
        doubleHolds,
        dbMismatch,
        wrongRefusals,
        durationSec,
        holdsPerSec: won.length / durationSec,
        requestsPerSec: outcomes.length / durationSec,
        seatsHeldPerSec: claimed.length / durationSec,
        p50Ms: percentile(lat, 50),
        p99Ms: percentile(lat, 99),
        p99HoldMs: percentile(holdLat, 99),
        maxMs: lat[lat.length - 1] ?? NaN,
        cpuPerRequest,
      };
    }
  } finally {
    await td.run();
  }
}

/**
 * Purchase bench (`npm run bench:purchase [-- --smoke] [--seconds N] [--concurrency N] [--orders K]`).
 *
 * 1. Holds under contention: a reserved-seat event (20,000 seats) published into a
 *    purchase service (its own process, fresh database, private Kafka namespace) behind the
 *    dev gateway (its own process, as the ALB in production); admitted fans race for
 *    overlapping seats through `POST /purchase/api/events/:id/holds` with a bounded number
 *    of requests in flight (keep-alive). Every outcome is recorded, then checked:
 *    held+sold ≤ capacity, no unit in two orders (from the database), the database holds
 *    exactly what the 201s promised, and no wrong refusal (a 409 naming a seat no
 *    successful request had taken by then). Reference: `pgbench -N -M prepared` on a
 *    scratch database of the same PostgreSQL, run right before and right after the race
 *    (the machine is shared: both are reported, the ratio is to their mean).
 * 2. Webhook → ticket: purchase + payment + the Stripe stand-in over Kafka; for K orders,
 *    the time from paying (checkout.session.completed queued) until the fan's
 *    `GET /purchase/api/tickets` lists the order's tickets.
 *
 * Prints a table and, last, one JSON line.
 */
import { runMoneyFlow } from './money';
import { initPgbench, round, runPgbench } from './lib';
import { runRace } from './race';
import { createTestDatabase } from '@ticketslave/dev/test-support';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const smoke = process.argv.includes('--smoke');
const num = (name: string, full: number, small: number) => Number(arg(name) ?? (smoke ? small : full));

const cfg = {
  sections: smoke ? ['Floor'] : ['Floor', 'Left', 'Right', 'Balcony'],
  rows: num('rows', 50, 20),
  seatsPerRow: num('seats-per-row', 100, 50),
  seconds: num('seconds', 10, 3),
  // Smoke: past the 3 s, on until the 1,000 seats are all held (a minute at most).
  sellOutWithinSeconds: smoke ? 60 : undefined,
  concurrency: num('concurrency', 64, 16),
  warmupSeconds: num('warmup-seconds', 3, 1),
  window: num('window', 200, 50),
  orders: num('orders', 50, 5),
  pollMs: num('poll-ms', 10, 10),
  pgbench: {
    scale: num('pgbench-scale', 10, 1),
    clients: num('pgbench-clients', 8, 8),
    threads: num('pgbench-threads', 2, 2),
    seconds: num('pgbench-seconds', 10, 3),
  },
};

const log = (line: string) => console.error(`[bench:purchase] ${line}`);

async function main(): Promise<void> {
  const started = Date.now();
  log(`config ${JSON.stringify(cfg)}${smoke ? ' (smoke)' : ''}`);

  const scratch = await createTestDatabase('benchpgbench');
  let pgBefore: { tps: number; command: string };
  let pgAfter: { tps: number; command: string };
  let race: Awaited<ReturnType<typeof runRace>>;
  try {
    initPgbench(scratch, cfg.pgbench);
    pgBefore = runPgbench(scratch, cfg.pgbench);
    log(`${pgBefore.command} before the race: ${pgBefore.tps} TPS`);
    race = await runRace({ ...cfg, log });
    log(`race: ${race.requests} requests, ${race.holds} holds in ${race.durationSec.toFixed(1)} s`);
    pgAfter = runPgbench(scratch, cfg.pgbench);
    log(`${pgAfter.command} after the race: ${pgAfter.tps} TPS`);
  } finally {
    await scratch.drop();
  }
  const pgTps = (pgBefore.tps + pgAfter.tps) / 2;

  const money = await runMoneyFlow({ orders: cfg.orders, pollMs: cfg.pollMs, log });

  const ratio = race.holdsPerSec / pgTps;
  // What one hold request costs the machine: purchase's CPU plus PostgreSQL's (issue 21's target ≤ 0.6 ms).
  const cpuMsPerHold = round(race.cpuPerRequest.purchase + race.cpuPerRequest.postgres, 3);
  const ok =
    race.heldOrSold <= race.seats &&
    race.doubleHolds === 0 &&
    race.wrongRefusals === 0 &&
    race.dbMismatch === 0 &&
    Object.keys(race.otherStatuses).length === 0 &&
    money.completed === money.orders;
  const rows: [string, string][] = [
    ['seats (reserved, one event)', String(race.seats)],
    ['concurrency (in flight, keep-alive, via the gateway)', String(cfg.concurrency)],
    ['duration (s)', race.durationSec.toFixed(1)],
    ['hold requests', String(race.requests)],
    ['  201 held', String(race.holds)],
    ['  409 refused', String(race.refusals)],
    ['  other statuses', JSON.stringify(race.otherStatuses)],
    ['held+sold in DB / capacity', `${race.heldOrSold} / ${race.seats}`],
    ['double holds (DB)', String(race.doubleHolds)],
    ['DB vs 201s mismatches', String(race.dbMismatch)],
    ['wrong refusals', String(race.wrongRefusals)],
    ['holds/s (201s)', race.holdsPerSec.toFixed(1)],
    ['requests/s (201+409)', race.requestsPerSec.toFixed(1)],
    ['seats held/s', race.seatsHeldPerSec.toFixed(1)],
    [
      'latency p50 / p99 / max (ms)',
      `${race.p50Ms.toFixed(1)} / ${race.p99Ms.toFixed(1)} / ${race.maxMs.toFixed(1)}`,
    ],
    ['p99 of successful holds (ms)', race.p99HoldMs.toFixed(1)],
    [
      'CPU ms per hold request',
      Object.entries(race.cpuPerRequest)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    [
      `${pgBefore.command}, before / after the race`,
      `${pgBefore.tps.toFixed(1)} / ${pgAfter.tps.toFixed(1)} TPS`,
    ],
    ['ratio holds/s ÷ mean pgbench TPS (target ≥ 0.3)', ratio.toFixed(3)],
    ['CPU ms per hold request, purchase + PostgreSQL (target ≤ 0.6)', cpuMsPerHold.toFixed(3)],
    ['money flow orders ticketed', `${money.completed} / ${money.orders}`],
    [
      'pay → tickets listed p50 / p99 / max (ms)',
      `${money.p50Ms.toFixed(0)} / ${money.p99Ms.toFixed(0)} / ${money.maxMs.toFixed(0)}`,
    ],
    [
      'webhook acked → tickets p50 / p99 (ms)',
      `${money.ackToTicketP50Ms.toFixed(0)} / ${money.ackToTicketP99Ms.toFixed(0)}`,
    ],
    ['checks', ok ? 'PASS' : 'FAIL'],
    ['total wall time (s)', ((Date.now() - started) / 1000).toFixed(0)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log('(2-core machine shared with other work: figures are noisy)');
  console.log(
    JSON.stringify({
      bench: 'purchase',
      seats: race.seats,
      heldOrSold: race.heldOrSold,
      doubleHolds: race.doubleHolds,
      wrongRefusals: race.wrongRefusals,
      durationSec: round(race.durationSec, 2),
      holdsPerSec: round(race.holdsPerSec),
      p99Ms: round(race.p99Ms),
      pgbenchTpsBefore: round(pgBefore.tps),
      pgbenchTpsAfter: round(pgAfter.tps),
      ratio: round(ratio, 3),
      cpuMsPerHold,
      webhookToTicketP99Ms: round(money.p99Ms),
    }),
  );
  if (!ok) process.exitCode = 1;
}

main().then(
  () => process.exit(),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * Queue bench (`npm run bench:queue [-- --smoke] [--entrants N] [--ws-clients C] [--seconds S]
 * [--parts ws,close,joins]`). `--parts` runs only the named parts (the others print as null).
 *
 * 1. Close: N buffered entrants seeded with COPY; baseline = a raw COPY of the rows the
 *    close writes (one `numbers` row per entrant) into a scratch table, before and after the
 *    close. The organiser closes the buffer (the closer's default tick) and the close waits
 *    for the beacon stand-in's round (period 3 s, BLS-verified as in production), reported
 *    apart (`beaconWaitSeconds`) from draw + persist + publish (buffer side: state closed,
 *    outbox empty, every number sent) and from the end to end (queue-service holds every
 *    number). Then `npm run verify-draw --stats` checks the document in its own process
 *    (`verifySeconds`, `verifyPeakMb`).
 * 2. WebSockets: C fan sockets on one queue-service child process from two generator
 *    processes; RSS growth per socket, progress coverage per second, p99 from the
 *    admitter's decision (fans.turn_at) to `your_turn` at the client, turns decided vs
 *    received (a decided turn that never reaches its fan is lost), dropped sockets.
 * 3. Joins through the gateway vs a hello-world Express route behind the same gateway:
 *    saturation throughput (closed loop, join and hello in interleaved slices), ratio, and
 *    join p99 at half the saturation rate
 *    (open loop, Poisson arrivals, latency from when each join was due: paced.ts).
 *
 * Every service, the gateway and the hello app run as separate child processes; the
 * machine is shared, so figures are noisy. Prints a table and, last, one JSON line.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { commitmentOf, entrantHash } from '@ticketslave/draw';
import { postgresCpuMs, sampleProc } from '../onsale/monitor';
import { pacedLoad } from './paced';
import { S3_STANDIN_CREDENTIALS, startBeacon, startS3 } from '@ticketslave/dev/standins';
import {
  createTestDatabase,
  createTestKafka,
  issueSolvedAltcha,
  serviceTestEnv,
  TEST_POW_HMAC_KEY,
  startTestIdentity,
  viewerHeaders,
} from '@ticketslave/dev/test-support';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : dflt;
};
const SMOKE = flag('smoke');
const ENTRANTS = opt('entrants', SMOKE ? 20_000 : 1_000_000);
const WS_CLIENTS = opt('ws-clients', SMOKE ? 500 : 15_000);
const SECONDS = opt('seconds', SMOKE ? 3 : 10);
const WS_WINDOW = opt('ws-seconds', SMOKE ? 6 : 15);
const PARTS = new Set(
  (argv.includes('--parts') ? (argv[argv.indexOf('--parts') + 1] ?? '') : 'ws,close,joins').split(','),
);
const ADMIT_PER_MINUTE = SMOKE ? 3000 : 6000;
const CONNECTIONS = opt('connections', 50);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const here = __dirname;

// ---------------------------------------------------------------- child processes

interface Child {
  proc: ChildProcess;
  url: string;
  request<T>(msg: { type: string }, reply: string): Promise<T>;
  stop(): Promise<void>;
}

function nextMessage<T>(proc: ChildProcess, type: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' from child in time`)), timeoutMs);
    const onMsg = (m: { type: string }) => {
      if (m.type !== type) return;
      clearTimeout(timer);
      proc.off('message', onMsg);
      proc.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before '${type}'`));
    };
    proc.on('message', onMsg);
    proc.once('exit', onExit);
  });
}

async function startChild(
  script: string,
  args: string[],
  env: Record<string, string>,
  execArgv: string[] = [],
): Promise<Child> {
  // e.g. BENCH_GATEWAY_CPU_PROF=/tmp/prof writes that child's CPU profile there on stop.
  const profDir = process.env[`BENCH_${(args[0] ?? '').toUpperCase()}_CPU_PROF`];
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [];
  const proc = fork(path.join(here, script), args, {
    execArgv: ['--import', 'tsx', ...execArgv, ...prof],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage<{ url: string }>(proc, 'ready');
  return {
    proc,
    url: ready.url,
    request: <T>(msg: { type: string }, reply: string) => {
      const p = nextMessage<T>(proc, reply);
      proc.send(msg);
      return p;
    },
    stop: () => stopProc(proc, { type: 'stop' }),
  };
}

async function stopProc(proc: ChildProcess, msg: { type: string }): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  if (proc.connected) proc.send(msg);
  const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result),
    );
  });
}

const randomIp = () =>
  `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}`;

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

async function waitFor(what: string, timeoutMs: number, fn: () => Promise<boolean>, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function insertBufferEvent(pool: Pool, eventId: string, organiserId: string): Promise<string> {
  const seed = randomBytes(32).toString('hex');
  const salt = randomBytes(32).toString('hex');
  await pool.query(
    `INSERT INTO buffer.buffer_events (event_id, version, organiser_id, status, starts_at, sale_starts_at,
       buffer_grace_seconds, closes_at, seed, salt, commitment, join_pow_max_number)
     VALUES ($1, 1, $2, 'published', now() + interval '2 days', now() + interval '1 day', 300,
       now() + interval '1 day' + interval '300 seconds', $3, $4, $5, 1000)`,
    [eventId, organiserId, seed, salt, commitmentOf(seed)],
  );
  return salt;
}

async function copyRows(
  pool: Pool,
  table: string,
  chunks: Buffer[],
  columns = '(event_id, user_id, entrant_hash, late)',
): Promise<number> {
  const client = await pool.connect();
  try {
    const t0 = performance.now();
    await pipeline(Readable.from(chunks), client.query(copyFrom(`COPY ${table} ${columns} FROM STDIN`)));
    return (performance.now() - t0) / 1000;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------- 1. close

interface CloseFigures {
  entrants: number;
  /** COPY of the rows the close writes (`numbers`' shape) into a scratch table, before and after the close. */
  copyBeforeSeconds: number;
  copyAfterSeconds: number;
  /** Their mean: the baseline the close is compared with. */
  copySeconds: number;
  /** From the close request until the verified beacon round was stored (the round's wait). */
  beaconWaitSeconds: number;
  seedSeconds: number;
  /** Until the draw and the numbers are committed (state closed), before publishing. */
  drawSeconds: number;
  closeSeconds: number;
  endToEndSeconds: number;
  eventId?: string;
  stuck?: string;
}

async function benchClose(
  pool: Pool,
  bufferUrl: string,
  organiserCookie: string,
  organiserId: string,
): Promise<CloseFigures> {
  const eventId = randomUUID();
  const salt = await insertBufferEvent(pool, eventId, organiserId);
  const chunks: Buffer[] = [];
  let lines: string[] = [];
  for (let i = 1; i <= ENTRANTS; i++) {
    const userId = `c-${i}`;
    lines.push(`${eventId}\t${userId}\t${entrantHash(salt, userId)}\tf\n`);
    if (lines.length === 10_000) {
      chunks.push(Buffer.from(lines.join('')));
      lines = [];
    }
  }
  if (lines.length) chunks.push(Buffer.from(lines.join('')));

  // The baseline: the rows the close writes (one `numbers` row per entrant), with COPY into a
  // table with numbers' keys, as one unpartitioned `numbers` table had them (the close now
  // builds its partition's indexes after its COPY; the baseline stays what it always was).
  const numberChunks: Buffer[] = [];
  for (let i = 1; i <= ENTRANTS; i += 10_000) {
    const part: string[] = [];
    for (let k = i; k < Math.min(i + 10_000, ENTRANTS + 1); k++) part.push(`${eventId}\t${k}\tc-${k}\n`);
    numberChunks.push(Buffer.from(part.join('')));
  }
  const copyBaseline = async () => {
    await pool.query(`CREATE TABLE buffer.copy_baseline (
      event_id uuid NOT NULL, queue_number int NOT NULL CHECK (queue_number >= 1), user_id text NOT NULL,
      PRIMARY KEY (event_id, queue_number), UNIQUE (event_id, user_id))`);
    try {
      return await copyRows(pool, 'buffer.copy_baseline', numberChunks, '(event_id, queue_number, user_id)');
    } finally {
      await pool.query(`DROP TABLE buffer.copy_baseline`);
    }
  };
  const copyBeforeSeconds = await copyBaseline();
  const seedSeconds = await copyRows(pool, 'buffer.entries', chunks);
  await pool.query(`ANALYZE buffer.entries`);

  const t0 = performance.now();
  const res = await fetch(`${bufferUrl}/buffer/api/events/${eventId}/close`, {
    method: 'POST',
    headers: { cookie: organiserCookie, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 202) throw new Error(`close answered ${res.status}: ${await res.text()}`);
  // After the draw commits, the outbox gets STALL_MS to drain; a relay that makes no
  // progress for that long is reported as stuck rather than waited on forever.
  const STALL_MS = 60_000;
  let drawSeconds = NaN;
  let beaconWaitSeconds = NaN;
  let closeSeconds = NaN;
  let endToEndSeconds = NaN;
  let stuck: string | undefined;
  let lastPending = -1;
  let lastProgress = performance.now();
  await waitFor(
    'the buffer close and queue consumption',
    Math.max(300_000, ENTRANTS),
    async () => {
      if (Number.isNaN(closeSeconds)) {
        // Pending: outbox rows (buffer.closed) plus numbers not yet published on queue.assigned.
        const { rows } = await pool.query<{ state: string; beacon: boolean; pending: number; bytes: string }>(
          `SELECT state, beacon IS NOT NULL AS beacon,
             (SELECT count(*)::int FROM buffer.outbox) + (last_number - published_number) AS pending,
             (SELECT COALESCE(sum(octet_length(envelope::text)), 0) FROM buffer.outbox) AS bytes
           FROM buffer.buffer_events WHERE event_id = $1`,
          [eventId],
        );
        const r = rows[0];
        if (r?.beacon && Number.isNaN(beaconWaitSeconds)) beaconWaitSeconds = (performance.now() - t0) / 1000;
        if (r?.state === 'closed' && Number.isNaN(drawSeconds)) drawSeconds = (performance.now() - t0) / 1000;
        if (r?.state === 'closed' && r.pending === 0) closeSeconds = (performance.now() - t0) / 1000;
        else if (r?.state === 'closed') {
          if (r.pending !== lastPending) {
            lastPending = r.pending;
            lastProgress = performance.now();
          } else if (performance.now() - lastProgress > STALL_MS) {
            stuck = `publishing made no progress for ${STALL_MS / 1000} s: ${r.pending} outbox messages + numbers (outbox ${(Number(r.bytes) / 1048576).toFixed(1)} MB) unpublished`;
            return true;
          }
        }
      }
      const { rows: c } = await pool.query<{ last: number }>(
        `SELECT last_number AS last FROM queue.queue_counters WHERE event_id = $1`,
        [eventId],
      );
      if ((c[0]?.last ?? 0) < ENTRANTS) return false;
      const { rows: n } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM queue.fans WHERE event_id = $1`,
        [eventId],
      );
      if ((n[0]?.n ?? 0) < ENTRANTS) return false;
      endToEndSeconds = (performance.now() - t0) / 1000;
      return !Number.isNaN(closeSeconds);
    },
    100,
  );
  const copyAfterSeconds = await copyBaseline();
  return {
    entrants: ENTRANTS,
    copyBeforeSeconds,
    copyAfterSeconds,
    copySeconds: (copyBeforeSeconds + copyAfterSeconds) / 2,
    beaconWaitSeconds,
    seedSeconds,
    drawSeconds,
    closeSeconds,
    endToEndSeconds,
    eventId,
    stuck,
  };
}

/**
 * `npm run verify-draw` on the closed event's document, as a fan would run it (its own
 * process, the document saved to a file first): seconds and peak RSS from its `--stats`.
 */
async function benchVerify(
  bufferUrl: string,
  eventId: string,
  beaconUrl: string,
): Promise<{ verifySeconds: number; verifyPeakMb: number; documentMb: number; verified: boolean }> {
  const res = await fetch(`${bufferUrl}/buffer/api/events/${eventId}/fairness`);
  if (!res.ok) throw new Error(`fairness answered ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-verify-'));
  try {
    const file = path.join(dir, 'fairness.json');
    writeFileSync(file, body);
    const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'bash',
        ['scripts/run.sh', 'verify-draw', file, '--chain-info', `${beaconUrl}/info`, '--stats'],
        { cwd: path.resolve(here, '../..'), encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      ),
    );
    const stats = /verify-draw: ([\d.]+) s, peak memory (\d+) MB/.exec(out.stderr);
    if (!stats)
      throw new Error(`verify-draw printed no --stats (exit ${out.code}): ${out.stderr.slice(-2000)}`);
    return {
      verifySeconds: Number(stats[1]),
      verifyPeakMb: Number(stats[2]),
      documentMb: body.length / 1048576,
      verified: out.code === 0 && /VERIFIED: all \d+ queue numbers recomputed/.test(out.stdout),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ServingFigures {
  firstMs: number;
  bodyMb: number;
  conditional: {
    n: number;
    notModified: number;
    bufferCpuMs: number;
    rssBeforeMb: number;
    rssAfterMb: number;
  };
  full: { n: number; ok: number; bufferCpuMs: number; rssBeforeMb: number; rssAfterMb: number };
}

/**
 * Issue 17.11: the fairness document is built once at the close and stored in S3; the buffer
 * answers its route with a redirect to the stored object (FAIRNESS_PUBLIC_BASE_URL: here the
 * S3 stand-in's bucket, CloudFront's /fairness/* in AWS). One full GET, then 100 concurrent
 * revalidations (If-None-Match with the object's ETag, as browsers and CDNs send them), then
 * 100 concurrent full GETs, each followed to the object and read to the end (a success is a
 * 200 with the whole document): the buffer's CPU and RSS during each burst.
 */
async function benchServing(buffer: Child, eventId: string): Promise<ServingFigures> {
  const url = `${buffer.url}/buffer/api/events/${eventId}/fairness`;
  const rssMb = () => (sampleProc(buffer.proc.pid!)?.rssKb ?? NaN) / 1024;
  const t0 = performance.now();
  const first = await fetch(url, { headers: { 'accept-encoding': 'gzip' } });
  const etag = first.headers.get('etag') ?? '';
  const bodyMb = (await first.arrayBuffer()).byteLength / 1048576;
  const firstMs = Math.round(performance.now() - t0);
  const N = 100;
  const burst = async (headers: Record<string, string>, status: number) => {
    const before = rssMb();
    const [hits, cpu] = await cpuDuring({ buffer }, async () => {
      const answers = await Promise.all(
        Array.from({ length: N }, async () => {
          const r = await fetch(url, { headers: { 'accept-encoding': 'gzip', ...headers } });
          const bytes = (await r.arrayBuffer().catch(() => new ArrayBuffer(0))).byteLength;
          return r.status === 200 && bytes / 1048576 !== bodyMb ? -1 : r.status;
        }),
      );
      return answers.filter((x) => x === status).length;
    });
    return {
      n: N,
      hits,
      bufferCpuMs: Math.round(cpu.buffer!),
      rssBeforeMb: Math.round(before),
      rssAfterMb: Math.round(rssMb()),
    };
  };
  const c = await burst({ 'if-none-match': etag }, 304);
  const f = await burst({}, 200);
  return {
    firstMs,
    bodyMb,
    conditional: {
      n: c.n,
      notModified: c.hits,
      bufferCpuMs: c.bufferCpuMs,
      rssBeforeMb: c.rssBeforeMb,
      rssAfterMb: c.rssAfterMb,
    },
    full: {
      n: f.n,
      ok: f.hits,
      bufferCpuMs: f.bufferCpuMs,
      rssBeforeMb: f.rssBeforeMb,
      rssAfterMb: f.rssAfterMb,
    },
  };
}

// ---------------------------------------------------------------- 2. WebSockets

interface WsReport {
  ok: number;
  failed: number;
  dropped: number;
  hellos: number;
  open: number;
  perSecond: [number, number][];
  turns: [string, number][];
  closeCodes: [number, number][];
}

interface WsFigures {
  clients: number;
  connected: number;
  rampSeconds: number;
  rssBefore: number;
  rssAfter: number;
  bytesPerConn: number;
  progressCoverageMin: number;
  progressCoverageAvg: number;
  turnsDecided: number;
  turnsReceived: number;
  p50TurnMs: number;
  p99TurnMs: number;
  dropped: number;
  closeCodes: string;
}

async function benchWs(pool: Pool, queue: Child, bufferJwks: string): Promise<WsFigures> {
  const eventId = randomUUID();
  await pool.query(
    `INSERT INTO queue.queue_events (event_id, organiser_id, snapshot_version, snapshot_rate, admit_rate_per_minute,
       max_active_shoppers, away_grace_seconds, hold_seconds, paused)
     VALUES ($1, 'org-bench', 1, $2, $2, 1000000, 600, 600, true)`,
    [eventId, ADMIT_PER_MINUTE],
  );
  await pool.query(
    `INSERT INTO queue.fans (event_id, user_id, queue_number)
     SELECT $1, 'fan-' || g, g FROM generate_series(1, $2) g`,
    [eventId, WS_CLIENTS],
  );
  await pool.query(`INSERT INTO queue.queue_counters (event_id, last_number) VALUES ($1, $2)`, [
    eventId,
    WS_CLIENTS,
  ]);
  await sleep(1500); // the admitter and progress consumer pick the event up
  const before = await queue.request<{ rss: number }>({ type: 'rss' }, 'rss');

  const wsUrl = `${queue.url.replace(/^http/, 'ws')}/queue/ws?event=${eventId}`;
  const half = Math.ceil(WS_CLIENTS / 2);
  const t0 = performance.now();
  const gens = [
    { from: 1, count: half },
    { from: half + 1, count: WS_CLIENTS - half },
  ].map(({ from, count }) =>
    fork(path.join(here, 'ws-gen.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        WS_URL: wsUrl,
        EVENT_ID: eventId,
        FROM: String(from),
        COUNT: String(count),
        BUFFER_JWKS: bufferJwks,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  try {
    const connected = await Promise.all(
      gens.map((g) => nextMessage<{ ok: number; failed: number }>(g, 'connected', 600_000)),
    );
    const rampSeconds = (performance.now() - t0) / 1000;
    const ok = connected.reduce((s, c) => s + c.ok, 0);
    await sleep(2000);
    const after = await queue.request<{ rss: number }>({ type: 'rss' }, 'rss');

    // Admission starts: turns go to connected fans in number order at ADMIT_PER_MINUTE.
    await pool.query(
      `UPDATE queue.queue_events SET paused = false, tokens = 0, tokens_at = now() WHERE event_id = $1`,
      [eventId],
    );
    const windowStart = Math.ceil(Date.now() / 1000) + 1;
    await sleep(WS_WINDOW * 1000);
    const windowEnd = Math.floor(Date.now() / 1000) - 1;
    // Admission stops before the reports; then every turn decided must reach its fan. The
    // reports are collected again until it has (or 15 s passed: what is missing then is lost).
    await pool.query(`UPDATE queue.queue_events SET paused = true WHERE event_id = $1`, [eventId]);
    await sleep(500); // an admitter tick under way commits its turns
    const { rows } = await pool.query<{ user_id: string; at: number }>(
      `SELECT user_id, (extract(epoch from turn_at) * 1000)::float8 AS at FROM queue.fans
       WHERE event_id = $1 AND turn_at IS NOT NULL AND status = 'turn'`,
      [eventId],
    );
    const decided = new Map(rows.map((r) => [r.user_id, Number(r.at)]));
    const collect = () =>
      Promise.all(
        gens.map((g) => {
          const p = nextMessage<WsReport>(g, 'report');
          g.send({ type: 'report' });
          return p;
        }),
      );
    /** Decided turns that reached their fan: the first your_turn each fan got. */
    const receivedTurns = (rs: WsReport[]) => {
      const first = new Map<string, number>();
      for (const r of rs) for (const [user, at] of r.turns) if (!first.has(user)) first.set(user, at);
      return [...first].filter(([user]) => decided.has(user));
    };
    let reports = await collect();
    for (
      const until = Date.now() + 15_000;
      receivedTurns(reports).length < decided.size && Date.now() < until;
    ) {
      await sleep(500);
      reports = await collect();
    }
    const perSecond = new Map<number, number>();
    for (const r of reports) for (const [s, n] of r.perSecond) perSecond.set(s, (perSecond.get(s) ?? 0) + n);
    const coverage: number[] = [];
    for (let s = windowStart; s < windowEnd; s++) coverage.push((perSecond.get(s) ?? 0) / Math.max(1, ok));
    console.error(
      `[bench:queue] ws: progress coverage per second (%) from ${new Date(windowStart * 1000).toISOString()}: ${coverage.map((c) => Math.round(c * 100)).join(' ')}`,
    );

    const received = receivedTurns(reports);
    const lat = received.map(([user, at]) => at - decided.get(user)!);
    lat.sort((a, b) => a - b);
    const codes = new Map<number, number>();
    for (const r of reports) for (const [c, n] of r.closeCodes) codes.set(c, (codes.get(c) ?? 0) + n);
    return {
      clients: WS_CLIENTS,
      connected: ok,
      rampSeconds,
      rssBefore: before.rss,
      rssAfter: after.rss,
      bytesPerConn: ok ? Math.round((after.rss - before.rss) / ok) : NaN,
      progressCoverageMin: coverage.length ? Math.min(...coverage) : NaN,
      progressCoverageAvg: coverage.length ? coverage.reduce((a, b) => a + b, 0) / coverage.length : NaN,
      turnsDecided: decided.size,
      turnsReceived: received.length,
      p50TurnMs: Math.round(percentile(lat, 50)),
      p99TurnMs: Math.round(percentile(lat, 99)),
      dropped: reports.reduce((s, r) => s + r.failed + r.dropped, 0),
      closeCodes: [...codes].map(([c, n]) => `${c}×${n}`).join(' ') || '-',
    };
  } finally {
    await Promise.all(gens.map((g) => stopProc(g, { type: 'close' })));
  }
}

// ---------------------------------------------------------------- 3. joins

interface JoinFigures {
  joinsPerSec: number;
  joinNon2xx: number;
  joinP99AtSaturation: number;
  helloRps: number;
  helloP99: number;
  halfRate: number;
  halfAchieved: number;
  joinP99Ms: number;
  joinP50Ms: number;
  halfNon2xx: number;
  usersWrapped: boolean;
  /** CPU milliseconds per answered request during the saturation runs, by process. */
  cpuPerJoin: Record<string, number>;
  /** Joins answered per PostgreSQL commit in the database during the saturation run (≈ the batch size). */
  joinsPerCommit: number;
  cpuPerHello: Record<string, number>;
  /** How the saturation runs were taken. */
  slices: string;
}

const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * CPU time (ms) each child used while `fn` ran, plus PostgreSQL's (all its processes) and
 * the load generator's (this process, autocannon): where a request's cost goes on the box.
 */
async function cpuDuring<T>(
  children: Record<string, Child>,
  fn: () => Promise<T>,
): Promise<[T, Record<string, number>]> {
  const read = () =>
    Promise.all(Object.values(children).map((c) => c.request<{ micros: number }>({ type: 'cpu' }, 'cpu')));
  const before = await read();
  const [pgBefore, ownBefore] = [postgresCpuMs(), ownCpuMs()];
  const result = await fn();
  const [pgAfter, ownAfter] = [postgresCpuMs(), ownCpuMs()];
  const after = await read();
  const names = Object.keys(children);
  return [
    result,
    {
      ...Object.fromEntries(names.map((n, i) => [n, (after[i]!.micros - before[i]!.micros) / 1000])),
      postgres: pgAfter - pgBefore,
      loadgen: ownAfter - ownBefore,
    },
  ];
}

const perRequest = (cpu: Record<string, number>, n: number) =>
  Object.fromEntries(Object.entries(cpu).map(([k, ms]) => [k, Number((ms / Math.max(1, n)).toFixed(3))]));

async function benchJoins(
  pool: Pool,
  gatewayUrl: string,
  sessionCookie: (id: string) => Promise<string>,
  procs: { buffer: Child; gateway: Child; hello: Child },
): Promise<JoinFigures> {
  const eventId = randomUUID();
  await insertBufferEvent(pool, eventId, 'org-bench');
  const users = SMOKE ? 8_000 : 40_000;
  const cookies: string[] = [];
  for (let i = 0; i < users; i++) cookies.push(await sessionCookie(`j-${i}`));
  let n = 0;
  const joinPath = `/buffer/api/events/${eventId}/entries`;
  /** What each join carries: the next pre-signed fan's session, a made-up client address. */
  const joinHeaders = (): Record<string, string> => ({
    'content-type': 'application/json',
    cookie: cookies[n++ % users]!,
    ...viewerHeaders(randomIp()),
  });
  const joinReq = (): autocannon.Request => ({
    method: 'POST',
    path: joinPath,
    // Each join carries its own solved proof of work, which the buffer verifies and spends.
    setupRequest: (req) => ({
      ...req,
      headers: joinHeaders(),
      body: JSON.stringify({ altcha: issueSolvedAltcha(TEST_POW_HMAC_KEY, { for: 'join', event: eventId }) }),
    }),
  });
  if (!SMOKE) {
    // Both sides measured warm: V8 has optimised each route's code before its timed run.
    await run({ url: gatewayUrl + '/hello', connections: 20, duration: 2 });
    await run({ url: gatewayUrl + joinPath, connections: 20, duration: 2, requests: [joinReq()] });
  }
  const commits = async () =>
    Number(
      (
        await pool.query<{ n: string }>(
          'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]!.n,
    );
  // Join and hello runs alternate in slices (join first in odd slices, hello first in
  // even ones), so whatever else the machine does meanwhile (PostgreSQL's autovacuum of
  // the entries just written, a noisy neighbour) falls on both sides alike.
  const slices = SMOKE ? 1 : 3;
  const sliceSeconds = SMOKE ? SECONDS : Math.max(2, Math.round(SECONDS / 2));
  const measured = {
    join: { ok: 0, bad: 0, p99: 0, cpu: {} as Record<string, number> },
    hello: { ok: 0, bad: 0, p99: 0, cpu: {} as Record<string, number> },
  };
  const add = (into: Record<string, number>, cpu: Record<string, number>) => {
    for (const [k, v] of Object.entries(cpu)) into[k] = (into[k] ?? 0) + v;
  };
  const commitsBefore = await commits();
  for (let i = 0; i < slices; i++) {
    for (const side of i % 2 === 0 ? (['join', 'hello'] as const) : (['hello', 'join'] as const)) {
      const [r, cpu] =
        side === 'join'
          ? await cpuDuring({ buffer: procs.buffer, gateway: procs.gateway }, () =>
              run({
                url: gatewayUrl + joinPath,
                connections: CONNECTIONS,
                duration: sliceSeconds,
                requests: [joinReq()],
              }),
            )
          : await cpuDuring({ hello: procs.hello, gateway: procs.gateway }, () =>
              run({ url: gatewayUrl + '/hello', connections: CONNECTIONS, duration: sliceSeconds }),
            );
      const m = measured[side];
      m.ok += r['2xx'];
      m.bad += r.non2xx;
      m.p99 = Math.max(m.p99, r.latency.p99);
      add(m.cpu, cpu);
    }
  }
  // The statistics collector flushes within a second; every batch of joins is one commit.
  await sleep(1_500);
  const joinCommits = (await commits()) - commitsBefore;
  const measuredSeconds = slices * sliceSeconds;
  const sat = measured.join;
  const hello = measured.hello;
  const joinsPerSec = sat.ok / measuredSeconds;
  const halfRate = Math.max(1, Math.round(joinsPerSec / 2));
  const host = new URL(gatewayUrl).host;
  const half = await pacedLoad({
    url: gatewayUrl,
    rate: halfRate,
    seconds: SECONDS,
    connections: CONNECTIONS,
    // Each paced join carries its own solved proof of work too (a bare `{}` was refused: the
    // figure was the latency of a 400).
    request: () => {
      const body = JSON.stringify({
        altcha: issueSolvedAltcha(TEST_POW_HMAC_KEY, { for: 'join', event: eventId }),
      });
      return Buffer.from(
        `POST ${joinPath} HTTP/1.1\r\nHost: ${host}\r\n` +
          Object.entries(joinHeaders())
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('') +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n${body}`,
      );
    },
  });
  return {
    joinsPerSec,
    joinNon2xx: sat.bad,
    joinP99AtSaturation: sat.p99,
    helloRps: hello.ok / measuredSeconds,
    helloP99: hello.p99,
    halfRate,
    halfAchieved: (half.answered - half.non2xx) / SECONDS,
    joinP99Ms: Math.round(percentile(half.latenciesMs, 99)),
    joinP50Ms: Math.round(percentile(half.latenciesMs, 50)),
    halfNon2xx: half.non2xx + half.failed,
    usersWrapped: n > users,
    cpuPerJoin: perRequest(sat.cpu, sat.ok + sat.bad),
    joinsPerCommit: (sat.ok + sat.bad) / Math.max(1, joinCommits),
    cpuPerHello: perRequest(hello.cpu, hello.ok + hello.bad),
    slices: `${slices} × ${sliceSeconds} s each, interleaved`,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const [db, kafka, identity] = await Promise.all([
    createTestDatabase('benchqueue'),
    createTestKafka('benchqueue'),
    startTestIdentity(),
  ]);
  const base = serviceTestEnv('queue', db, kafka, {
    LOG_LEVEL: 'fatal',
    FEED_JWKS_URL: identity.feed.jwksUrl,
  });
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const children: Child[] = [];
  // The close waits for a drand round of this stand-in (3 s like quicknet), verified as in production.
  const beacon = await startBeacon({ port: 0, period: 3 });
  // Where the buffer stores fairness documents (S3 in AWS).
  const s3Dir = mkdtempSync(path.join(tmpdir(), 'bench-queue-s3-'));
  const s3 = await startS3({ port: 0, dataDir: s3Dir, buckets: ['ticketslave-fairness'] });
  try {
    const [queue, buffer, hello] = await Promise.all([
      startChild(
        'child.ts',
        ['queue'],
        { ...base, QUEUE_SIGNING_JWKS: identity.privateJwks.queue, BUFFER_JWKS_URL: identity.buffer.jwksUrl },
        ['--expose-gc'],
      ),
      startChild('child.ts', ['buffer'], {
        ...base,
        DATABASE_URL: db.serviceUrl('buffer'),
        BUFFER_SIGNING_JWKS: identity.privateJwks.buffer,
        BEACON_URL: beacon.url,
        BEACON_CHAIN_HASH: beacon.info.hash,
        S3_ENDPOINT: s3.url,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: S3_STANDIN_CREDENTIALS.accessKeyId,
        S3_SECRET_ACCESS_KEY: S3_STANDIN_CREDENTIALS.secretAccessKey,
        // The stored documents' public address: the route redirects there (CloudFront in AWS).
        FAIRNESS_PUBLIC_BASE_URL: `${s3.url}/ticketslave-fairness`,
        // The closer's default tick (BUFFER_CLOSE_TICK_MS unset), as in production.
        // e.g. BENCH_BUFFER_LOG_LEVEL=info shows the close's phases ("buffer closed and drawn").
        ...(process.env.BENCH_BUFFER_LOG_LEVEL ? { LOG_LEVEL: process.env.BENCH_BUFFER_LOG_LEVEL } : {}),
      }),
      startChild('child.ts', ['hello'], {}),
    ]);
    children.push(queue, buffer, hello);
    const gateway = await startChild('child.ts', ['gateway'], {
      BENCH_ROUTES: JSON.stringify({ '/buffer': buffer.url, '/hello': hello.url }),
    });
    children.push(gateway);
    console.error(`[bench:queue] services up in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const ws: WsFigures = PARTS.has('ws')
      ? await benchWs(pool, queue, identity.privateJwks.buffer)
      : {
          clients: 0,
          connected: 0,
          rampSeconds: NaN,
          rssBefore: NaN,
          rssAfter: NaN,
          bytesPerConn: NaN,
          progressCoverageMin: NaN,
          progressCoverageAvg: NaN,
          turnsDecided: 0,
          turnsReceived: 0,
          p50TurnMs: NaN,
          p99TurnMs: NaN,
          dropped: NaN,
          closeCodes: 'skipped',
        };
    console.error(`[bench:queue] websockets done`);
    const organiserId = 'org-bench';
    const close: CloseFigures = PARTS.has('close')
      ? await benchClose(
          pool,
          buffer.url,
          await identity.sessionCookie({ id: organiserId, role: 'organiser' }),
          organiserId,
        )
      : {
          entrants: 0,
          copyBeforeSeconds: NaN,
          copyAfterSeconds: NaN,
          beaconWaitSeconds: NaN,
          copySeconds: NaN,
          seedSeconds: NaN,
          drawSeconds: NaN,
          closeSeconds: NaN,
          endToEndSeconds: NaN,
        };
    console.error(`[bench:queue] close done`);
    const verify =
      close.eventId && !close.stuck
        ? await benchVerify(buffer.url, close.eventId, beacon.url)
        : { verifySeconds: NaN, verifyPeakMb: NaN, documentMb: NaN, verified: false };
    console.error(`[bench:queue] verify done`);
    const serving = close.eventId && !close.stuck ? await benchServing(buffer, close.eventId) : null;
    console.error(`[bench:queue] fairness serving done`);
    const joins: JoinFigures = PARTS.has('joins')
      ? await benchJoins(pool, gateway.url, (id) => identity.sessionCookie({ id }), {
          buffer,
          gateway,
          hello,
        })
      : {
          joinsPerSec: NaN,
          joinNon2xx: 0,
          joinP99AtSaturation: NaN,
          helloRps: NaN,
          helloP99: NaN,
          halfRate: NaN,
          halfAchieved: NaN,
          joinP99Ms: NaN,
          joinP50Ms: NaN,
          halfNon2xx: 0,
          usersWrapped: false,
          cpuPerJoin: {},
          joinsPerCommit: NaN,
          cpuPerHello: {},
          slices: '',
        };
    console.error(`[bench:queue] joins done`);

    for (const c of children.splice(0).reverse()) await c.stop();

    const closeBufferSeconds = close.closeSeconds - close.beaconWaitSeconds;
    const closeRatio = closeBufferSeconds / close.copySeconds;
    const e2eRatio = close.endToEndSeconds / close.copySeconds;
    const joinRatio = joins.joinsPerSec / joins.helloRps;
    const f1 = (x: number) => x.toFixed(1);
    const f2 = (x: number) => x.toFixed(2);
    const num = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);
    const mb = (x: number) => `${(x / 1048576).toFixed(0)} MB`;
    const table = [
      [
        'close: COPY of the rows it writes (baseline)',
        `${f2(close.copySeconds)} s`,
        `${close.entrants} rows; before ${f2(close.copyBeforeSeconds)} s, after ${f2(close.copyAfterSeconds)} s`,
      ],
      ['close: COPY seed into buffer.entries', `${f2(close.seedSeconds)} s`, ''],
      [
        'close: draw+persist committed (state closed)',
        `${f2(close.drawSeconds)} s`,
        `${f2((close.drawSeconds - close.beaconWaitSeconds) / close.copySeconds)}× COPY without the beacon wait`,
      ],
      ['close: wait for the beacon round', `${f2(close.beaconWaitSeconds)} s`, 'period 3 s; default tick'],
      [
        'close: draw+persist+all published (buffer)',
        `${f2(close.closeSeconds)} s`,
        `${f2(closeBufferSeconds)} s without the beacon wait = ${f2(closeRatio)}× COPY (target ≤ 1.5×)`,
      ],
      [
        'verify-draw on the document (CLI)',
        `${f2(verify.verifySeconds)} s`,
        `peak ${verify.verifyPeakMb} MB, document ${f1(verify.documentMb)} MB, ${verify.verified ? 'VERIFIED' : 'NOT verified'} (target ≤ 10 s)`,
      ],
      [
        'close: until queue holds all numbers (e2e)',
        `${f2(close.endToEndSeconds)} s`,
        `${f2(e2eRatio)}× COPY (target ≤ 4×)`,
      ],
      [
        'fairness: first GET (302 → stored object)',
        serving ? `${serving.firstMs} ms` : 'skipped',
        serving ? `${f1(serving.bodyMb)} MB document` : '',
      ],
      [
        'fairness: 100 concurrent If-None-Match',
        serving ? `buffer CPU ${serving.conditional.bufferCpuMs} ms` : 'skipped',
        serving
          ? `${serving.conditional.notModified}× 304; buffer RSS ${serving.conditional.rssBeforeMb} → ${serving.conditional.rssAfterMb} MB`
          : '',
      ],
      [
        'fairness: 100 concurrent full GETs',
        serving ? `buffer CPU ${serving.full.bufferCpuMs} ms` : 'skipped',
        serving
          ? `${serving.full.ok}/${serving.full.n} whole documents (302 → stored object); buffer RSS ${serving.full.rssBeforeMb} → ${serving.full.rssAfterMb} MB`
          : '',
      ],
      ['ws: clients connected / asked', `${ws.connected} / ${ws.clients}`, `ramp ${f1(ws.rampSeconds)} s`],
      [
        'ws: queue RSS before → after',
        `${mb(ws.rssBefore)} → ${mb(ws.rssAfter)}`,
        `${ws.bytesPerConn} B/conn (target ≤ 25,600)`,
      ],
      [
        'ws: clients with progress each second',
        `min ${(ws.progressCoverageMin * 100).toFixed(1)} %`,
        `avg ${(ws.progressCoverageAvg * 100).toFixed(1)} %`,
      ],
      [
        'ws: turns decided / your_turn received',
        `${ws.turnsDecided} / ${ws.turnsReceived}`,
        `lost ${ws.turnsDecided - ws.turnsReceived} (target 0); at ${ADMIT_PER_MINUTE}/min for ${WS_WINDOW} s`,
      ],
      ['ws: decision → your_turn', `p99 ${ws.p99TurnMs} ms`, `p50 ${ws.p50TurnMs} ms`],
      ['ws: dropped clients (target 0)', `${ws.dropped}`, `close codes ${ws.closeCodes}`],
      [
        'joins via gateway, saturation',
        `${f1(joins.joinsPerSec)} /s`,
        `p99 ${joins.joinP99AtSaturation} ms, non-2xx ${joins.joinNon2xx}`,
      ],
      [
        'hello-world Express via gateway',
        `${f1(joins.helloRps)} req/s`,
        `p99 ${joins.helloP99} ms; ${joins.slices}`,
      ],
      [
        'CPU ms per request (saturation runs)',
        `join: ${Object.entries(joins.cpuPerJoin)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
        `hello: ${Object.entries(joins.cpuPerHello)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      ],
      [
        'join ratio (target ≥ 0.35)',
        f2(joinRatio),
        `${f1(joins.joinsPerCommit)} joins per PostgreSQL commit`,
      ],
      [
        'joins at half saturation (Poisson arrivals)',
        `${f1(joins.halfAchieved)} /s of ${joins.halfRate}`,
        `p99 ${joins.joinP99Ms} ms (target < 100), p50 ${joins.joinP50Ms} ms, non-2xx ${joins.halfNon2xx}`,
      ],
    ];
    console.log(`bench:queue${SMOKE ? ' (smoke)' : ''} — 2 shared cores, figures are noisy`);
    console.table(table.map(([what, value, note]) => ({ what, value, note })));
    if (close.stuck) console.log(`close: ${close.stuck}; close/end-to-end figures are null`);
    if (joins.usersWrapped) console.log('note: the pre-signed users wrapped around; some joins were repeats');
    console.log(`total ${f1((performance.now() - started) / 1000)} s`);
    console.log(
      JSON.stringify({
        bench: 'queue',
        closeEntrants: close.entrants,
        closeSeconds: num(close.closeSeconds),
        closeDrawSeconds: num(close.drawSeconds),
        closeBufferSeconds: num(closeBufferSeconds),
        beaconWaitSeconds: num(close.beaconWaitSeconds),
        copySeconds: Number(f2(close.copySeconds)),
        copyBeforeSeconds: num(close.copyBeforeSeconds),
        copyAfterSeconds: num(close.copyAfterSeconds),
        closeRatio: num(closeRatio),
        verifySeconds: num(verify.verifySeconds),
        verifyPeakMb: num(verify.verifyPeakMb),
        verified: verify.verified,
        fairnessFirstMs: serving?.firstMs ?? null,
        fairness304BufferCpuMs: serving?.conditional.bufferCpuMs ?? null,
        fairness304s: serving?.conditional.notModified ?? null,
        fairnessFullBufferCpuMs: serving?.full.bufferCpuMs ?? null,
        fairnessFullOk: serving?.full.ok ?? null,
        fairnessBufferRssMb: serving?.full.rssAfterMb ?? null,
        closeEndToEndSeconds: num(close.endToEndSeconds),
        wsClients: ws.connected,
        bytesPerConn: ws.bytesPerConn,
        p99TurnMs: ws.p99TurnMs,
        turnsDecided: ws.turnsDecided,
        turnsReceived: ws.turnsReceived,
        lostTurns: ws.turnsDecided - ws.turnsReceived,
        droppedClients: ws.dropped,
        joinsPerSec: Number(f1(joins.joinsPerSec)),
        helloRps: Number(f1(joins.helloRps)),
        joinRatio: Number(joinRatio.toFixed(3)),
        joinP99Ms: joins.joinP99Ms,
        halfNon2xx: joins.halfNon2xx,
      }),
    );
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    await pool.end();
    await beacon.stop();
    await s3.stop();
    rmSync(s3Dir, { recursive: true, force: true });
    await identity.stop();
    await kafka.cleanup().catch(() => undefined);
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

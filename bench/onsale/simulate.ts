/**
 * The on-sale simulation (issue 7): the real platform (`startPlatform`, services as
 * processes) and simulated fans as HTTP + WebSocket clients, from accounts to tickets,
 * then the invariants straight from the services' databases and topics.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import WebSocket from 'ws';
import { TOKENS, TokenSigner, type PrivateJwkSet } from '@ticketslave/common';
import { parseChainInfo } from '@ticketslave/draw';
import { waitForMail } from '@ticketslave/dev/standins';
import {
  createTestKafka,
  solveAltcha,
  viewerHeaders,
  type AltchaChallengeJson,
} from '@ticketslave/dev/test-support';
import { startPlatform, type Platform } from '../../dev/platform/platform';
import { LOCAL } from '../../dev/platform/paths';
import { runAdminCommand } from '../../feed-service/feed-backend/src/admin';
import { FanClient, Latencies, Limiter, problemCode, sleep, type ClientShared } from './client';
import { checkInvariants, startHeldTwiceSampler, type FanFacts, type InvariantReport } from './invariants';
import { traceOrders, type PaidOrder, type TraceReport } from './trace';
import {
  consumerFigures,
  outboundFigures,
  runtimeFigures,
  type RuntimeFigures,
  findServicePids,
  KafkaWatch,
  kafkaBrokerPid,
  MachineMonitor,
  ProcMonitor,
  type ConsumerFigures,
  type MachineUsage,
  type OutboundFigures,
  startActivitySampler,
  type ActivityFigure,
  type ServiceUsage,
} from './monitor';

export interface OnsaleOptions {
  fans: number;
  seats: number;
  /** Share of fans joining after the buffer closed. */
  lateShare?: number;
  /** `api`: register + verify from the inbox + log in per fan; `mint`: sessions signed with the platform's dev key. */
  accounts?: 'api' | 'mint';
  admitRatePerMinute?: number;
  maxActiveShoppers?: number;
  holdSeconds?: number;
  awayGraceSeconds?: number;
  /** At most this many queue sockets open at once (fans connect as their number nears). */
  maxSockets?: number;
  /**
   * The announced sale time, this many seconds after the event is published: an estimate of
   * when the joins, the close, the numbers and the first queue sockets are done (default
   * 15 s + 5 ms a fan). The queue admits nobody before it, even after an early close.
   */
  saleLeadSeconds?: number;
  log?: (line: string) => void;
  /** Keep `.local/bench/onsale-<pid>` (logs, keys) afterwards. */
  keepLocal?: boolean;
  /** A broker of the run's own instead of the shared test broker (the broker drill stops it). */
  brokers?: string[];
  /**
   * Fault drills hook in here: called at each phase change and then on every driver tick
   * (about every 100 ms) while fans are served. Must not block: a drill runs on its own.
   */
  onProgress?: (progress: OnsaleProgress) => void;
  /** Awaited once the fans are done, before the settle (a drill finishing its restart). */
  beforeSettle?: () => Promise<void>;
  /**
   * How long a fan keeps retrying a refused or broken request and reopening a dropped queue
   * socket, as a real fan reloads the page (default 0: a request failing at the network
   * level fails the run, a socket is reopened 4 times). Drills set it past their outage.
   */
  patienceMs?: number;
}

export interface OnsaleProgress {
  phase: 'published' | 'closing' | 'numbered' | 'selling' | 'settling';
  platform: Platform;
  eventId: string;
  seats: number;
  fans: number;
  admissions: number;
  holds: number;
  /** Fans whose card payment went through on the Stripe stand-in (webhooks follow). */
  payments: number;
  soldOut: boolean;
}

export interface OnsaleResult {
  bench: 'onsale';
  fans: number;
  seats: number;
  sold: number;
  invariantsOk: boolean;
  violations: string[];
  secondsToSellOut: number | null;
  admissionsPerSec: number;
  holdsPerSec: number;
  details: {
    checks: InvariantReport['checks'];
    spearman: number | null;
    accountsSeconds: number;
    saleSeconds: number;
    admissions: number;
    holds: number;
    outcomes: Record<string, number>;
    latencies: ReturnType<Latencies['summary']>;
    /** The five services, and beside them this process (the fans, who call the services directly), Stripe and Kafka. */
    services: Record<string, ServiceUsage>;
    machine: MachineUsage;
    kafkaLagPeak: number;
    kafkaLagPeakByGroup: Record<string, number>;
    /** Per consumer group and message type: message age at handling and handler time. */
    consumers: ConsumerFigures[];
    /** Calls to outside systems (Stripe) by operation: what the money path waits on. */
    outbound: OutboundFigures[];
    /** Per service: waits for a database connection, event-loop delay. */
    runtime: RuntimeFigures[];
    /** The services' database connections during the sale (pg_stat_activity samples). */
    dbActivity: { samples: number; figures: ActivityFigure[] };
    /** Every paid order through each hop of the money path (see trace.ts). */
    trace: TraceReport | null;
    kafkaLagEnd: Record<string, number>;
    dlq: Record<string, number>;
    replayedWebhooks: number;
    settings: Record<string, number>;
  };
}

type Behaviour = 'pay' | 'decline' | 'twice' | 'abandon' | 'expire' | 'expireCheckout';

interface Fan extends FanFacts {
  i: number;
  email: string;
  http: FanClient;
  behaviour: Behaviour;
  seatMode: 'pick' | 'best';
  quantity: number;
  joinedAck: number;
  outcome?: string;
  /** Resolves when the fan is done with the sale. */
  done?: Promise<void>;
  socketOpen?: boolean;
}

const PASSWORD = 'onsale bench fan password';
/** The latency row from a fan's successful card payment to the order settled (paid: captured). */
export const PAID_TO_SETTLED = 'card paid → order settled (page told)';
/**
 * From the card paid to the fan's page showing the tickets: the order `confirmed` (purchase
 * issues the tickets in the transaction that secures the seats) or already `paid`.
 */
export const PAID_TO_TICKETS = 'card paid → tickets shown (page told)';
const CARD_OK = '4242424242424242';
/**
 * The money path's points, as trace.ts follows them: the fan's wait (card paid → tickets
 * shown), then the capture that follows the tickets (issue 21).
 */
const MONEY_PATH = [
  [
    'card paid',
    'webhook sent',
    'payment.authorized',
    'payment.authorized → Kafka',
    'tickets issued',
    'fan told',
  ],
  [
    'tickets issued',
    'order.completed',
    'order.completed → Kafka',
    'payment.captured',
    'payment.captured → Kafka',
  ],
];
const CARD_DECLINED = '4000000000000002';

/** A small seeded PRNG (mulberry32), so a run's fan mix is reproducible. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

async function inBatches<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Two reserved categories: front (first fifth of the rows) and back; 50 seats a row, 20 rows a section. */
function layout(seats: number) {
  const perRow = Math.min(50, seats);
  const rows = Math.max(2, Math.ceil(seats / perRow));
  const frontRows = Math.max(1, Math.round(rows / 5));
  const letters = (n: number) => {
    // Row labels A…Z, AA…: Section rows are ranges from/to.
    const l = (k: number): string =>
      k < 26 ? String.fromCharCode(65 + k) : l(Math.floor(k / 26) - 1) + l(k % 26);
    return l(n);
  };
  const sectionsFor = (count: number, name: string) => {
    const out: { name: string; rows: { from: string; to: string; seats: number }[] }[] = [];
    for (let s = 0; s * 20 < count; s++) {
      const n = Math.min(20, count - s * 20);
      out.push({ name: `${name} ${s + 1}`, rows: [{ from: letters(0), to: letters(n - 1), seats: perRow }] });
    }
    return out;
  };
  return {
    categories: [
      {
        kind: 'reserved',
        id: 'front',
        name: 'Front',
        priceMinor: 8900,
        currency: 'EUR',
        sections: sectionsFor(frontRows, 'Front'),
      },
      {
        kind: 'reserved',
        id: 'back',
        name: 'Back',
        priceMinor: 4500,
        currency: 'EUR',
        sections: sectionsFor(rows - frontRows, 'Back'),
      },
    ],
    capacity: { front: frontRows * perRow, back: (rows - frontRows) * perRow },
  };
}

interface SeatMap {
  categories: { id: string; capacity: number; available: number; held: number; sold: number }[];
  sections: { categoryId: string; name: string; rows: { label: string; seats: string }[] }[];
}

export async function runOnsale(opts: OnsaleOptions): Promise<OnsaleResult> {
  const log = opts.log ?? ((l: string) => console.log(`[onsale] ${l}`));
  const rand = rng(0x7e57 + opts.fans);
  const accounts = opts.accounts ?? (opts.fans <= 2000 ? 'api' : 'mint');
  const settings = {
    // About one admission a minute per seat, 10–50 a second: what a real on-sale lets through,
    // and what the driver's sockets (connected ahead of the serving number) keep up with.
    admitRatePerMinute: opts.admitRatePerMinute ?? Math.max(600, Math.min(3000, opts.seats)),
    maxActiveShoppers: opts.maxActiveShoppers ?? Math.max(30, Math.min(400, Math.round(opts.seats / 5))),
    holdSeconds: opts.holdSeconds ?? 30,
    awayGraceSeconds: opts.awayGraceSeconds ?? 10,
    perUserLimit: 4,
  };
  const lateShare = opts.lateShare ?? 0.1;
  const maxSockets = opts.maxSockets ?? 3000;

  // The shared broker sometimes answers a fresh topic's metadata with UNKNOWN_TOPIC_OR_PARTITION: retry.
  const kafka = await (async () => {
    for (let i = 1; ; i++) {
      try {
        // Production partition counts: how keys spread over partitions is part of what is measured.
        return await createTestKafka('onsale', opts.brokers, { partitions: 'declared' });
      } catch (err) {
        if (i >= 5) throw err;
        await sleep(1000 * i);
      }
    }
  })();
  const localDir = path.join(LOCAL, 'bench', `onsale-${process.pid}`);
  mkdirSync(localDir, { recursive: true });
  let platform: Platform | undefined;
  const latencies = new Latencies();
  const shared: ClientShared = {
    origin: '',
    limiter: new Limiter(128),
    latencies,
    patienceMs: opts.patienceMs,
  };
  const kw = new KafkaWatch(kafka.brokers, kafka.prefix);
  const sockets = new Set<WebSocket>();
  /** Timers and loops to end however the run ends (a failed run must not keep jest alive). */
  const cleanups: (() => void)[] = [];
  try {
    log(`starting the platform (${opts.fans} fans, ${opts.seats} seats, accounts: ${accounts})`);
    // On a busy shared machine a service can miss startPlatform's 90 s readiness window: try again.
    for (let attempt = 1; !platform; attempt++) {
      try {
        platform = await startPlatform({
          portBase: 'free',
          kafka: { brokers: kafka.brokers, topicPrefix: kafka.prefix },
          freshDatabase: 'onsale',
          localDir,
          // Stripe in a process of its own: inside this one, its answers and webhooks waited on the
          // simulated fans' event loop (issue 21: card paid → webhook sent was 788 ms at p50 at 20,000 fans).
          stripeProcess: true,
          // Stripe's state in memory only: its JSON file, rewritten as it grows (tens of MB by
          // the end of a 20,000-fan sale), would stall this process and its simulated fans.
          persistStripe: false,
          // Registration's proof of work at its lowest difficulty: solved for real, cheaply.
          // Every simulated fan pays with Stripe's one test card: the per-card limit (issue 17.8)
          // would refuse all but the first, so the load test turns it off, as one against Stripe's test mode must.
          serviceEnv: { LOG_LEVEL: 'warn', REGISTER_POW_MAX_NUMBER: '1000', CARD_LIMIT_PER_EVENT: 'false' },
          log: (l) => log(`platform: ${l}`),
        });
      } catch (err) {
        if (attempt >= 3) throw err;
        log(`platform start failed (${(err as Error).message}); retrying`);
      }
    }
    const p = platform;
    shared.origin = p.url;
    shared.edge = p.edge;
    const svc = p.services;
    await kw.connect();
    const pids = findServicePids();
    // The shared test broker's JVM (a drill's own broker is not followed: which JVM is it?).
    const broker = opts.brokers ? undefined : kafkaBrokerPid();
    // A drill restarts services: the monitor follows each service's current process.
    const currentPids = () => {
      const m = new Map<string, number>();
      for (const s of Object.keys(svc) as (keyof typeof svc)[]) {
        const pid = p.servicePid(s);
        if (pid !== undefined) m.set(s, pid);
      }
      for (const [tool, pid] of Object.entries(p.toolPids())) m.set(tool, pid);
      if (broker !== undefined) m.set('kafka', broker);
      m.set('bench', process.pid);
      return m;
    };
    let admissions = 0;
    let holds = 0;
    let payments = 0;
    let soldOutSeen = false;
    let eventId = '';
    const progress = (phase: OnsaleProgress['phase']) =>
      opts.onProgress?.({
        phase,
        platform: p,
        eventId,
        seats: opts.seats,
        fans: opts.fans,
        admissions,
        holds,
        payments,
        soldOut: soldOutSeen,
      });
    log(`service pids: ${JSON.stringify(Object.fromEntries(pids))}`);

    // ── organiser ──────────────────────────────────────────────────────────────
    const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const tag = randomBytes(3).toString('hex');
    const organiser = new FanClient(shared, '10.255.255.1');
    const orgEmail = `organiser-${tag}@onsale.ticketslave.test`;
    await registerVerified(organiser, p, orgEmail);
    // The owner of a new organisation, made the way an operator makes one (npm run admin).
    if ((await runAdminCommand(['make-organiser', orgEmail], { databaseUrl: p.databaseUrl, out: log })) !== 0)
      throw new Error(`could not make ${orgEmail} an organiser`);
    await expectOk(
      organiser.call('feed POST session/login', 'POST', `${svc.feed}/api/session/login`, {
        email: orgEmail,
        password: PASSWORD,
      }),
    );
    // ── fans and their accounts ────────────────────────────────────────────────
    const behaviours: [Behaviour, number][] = [
      ['pay', 0.6],
      ['decline', 0.08],
      ['twice', 0.07],
      ['abandon', 0.1],
      ['expire', 0.08],
      ['expireCheckout', 0.07],
    ];
    const pick = (): Behaviour => {
      let r = rand();
      for (const [b, w] of behaviours) if ((r -= w) < 0) return b;
      return 'pay';
    };
    const fans: Fan[] = Array.from({ length: opts.fans }, (_, i) => ({
      i,
      userId: '',
      email: `fan${i}-${tag}@onsale.ticketslave.test`,
      http: new FanClient(shared, ipOf(i + 1)),
      behaviour: pick(),
      seatMode: rand() < 0.5 ? 'pick' : 'best',
      quantity: 1 + Math.floor(rand() * settings.perUserLimit),
      late: false,
      arrival: 0,
      joinedAck: 0,
      queueNumber: null,
      waitedConnected: false,
      away: rand() < 0.04 ? (rand() < 0.5 ? 'within' : 'after') : undefined,
    }));
    const tAccounts = Date.now();
    if (accounts === 'api') {
      let made = 0;
      await inBatches(fans, 16, async (f) => {
        f.userId = (await registerVerified(f.http, p, f.email)).id;
        if (++made % 100 === 0) log(`accounts: ${made}/${fans.length}`);
      });
    } else {
      const set = JSON.parse(
        readFileSync(path.join(localDir, 'keys', 'session.jwks.json'), 'utf8'),
      ) as PrivateJwkSet;
      const signer = await TokenSigner.fromJwks(set);
      for (const f of fans) {
        f.userId = randomUUID();
        const jwt = await signer.sign(
          { email: f.email, role: 'fan', emv: true },
          {
            issuer: TOKENS.session.issuer,
            audience: TOKENS.session.audience,
            subject: f.userId,
            expiresAt: new Date(Date.now() + 3 * 3600_000),
          },
        );
        f.http.cookies.set(TOKENS.session.cookie, jwt);
      }
    }
    const accountsSeconds = (Date.now() - tAccounts) / 1000;
    log(`${fans.length} fan accounts ready in ${accountsSeconds.toFixed(1)} s (${accounts})`);

    // ── the event: announced sale time a short lead after the joins should be done ──
    // The organiser's session is 15 minutes: log in again after the accounts.
    await expectOk(
      organiser.call('feed POST session/login', 'POST', `${svc.feed}/api/session/login`, {
        email: orgEmail,
        password: PASSWORD,
      }),
    );
    const { categories, capacity } = layout(opts.seats);
    const seats = capacity.front + capacity.back;
    const inFromNow = (ms: number) => new Date(Date.now() + ms).toISOString();
    const saleLeadMs = (opts.saleLeadSeconds ?? 15 + opts.fans * 0.005) * 1000;
    const saleStartsAt = Date.now() + saleLeadMs;
    const draft = await expectOk(
      organiser.call<{ id: string }>(
        'feed POST organiser/events',
        'POST',
        `${svc.feed}/api/organiser/events`,
        {
          title: `On-sale bench ${tag}`,
          artist: 'The Load Generators',
          venue: 'Loopback Arena',
          city: 'Localhost',
          saleStartsAt: new Date(saleStartsAt).toISOString(),
          startsAt: inFromNow(86_400_000),
          bufferGraceSeconds: 3600,
          queue: {
            admitRatePerMinute: settings.admitRatePerMinute,
            maxActiveShoppers: settings.maxActiveShoppers,
            awayGraceSeconds: settings.awayGraceSeconds,
            // The lowest difficulty: every fan solves for real, and the load stays the services'.
            joinPowMaxNumber: 1000,
          },
          holdSeconds: settings.holdSeconds,
          perUserLimit: settings.perUserLimit,
          categories,
        },
      ),
    );
    eventId = draft.id;
    await expectOk(
      organiser.call('feed POST publish', 'POST', `${svc.feed}/api/organiser/events/${eventId}/publish`, {}),
    );
    log(
      `event ${eventId} published: ${seats} seats ${JSON.stringify(capacity)}, ${JSON.stringify(settings)}`,
    );
    progress('published');
    let commitmentBeforeClose: string | undefined;
    const bufferEvent = async () => {
      const r = await organiser.call<{ state: string; commitment: string }>(
        'buffer GET event',
        'GET',
        `${svc.buffer}/api/events/${eventId}`,
      );
      if (r.status === 200 && r.body.state === 'open') commitmentBeforeClose = r.body.commitment;
      return r.body?.state === 'open';
    };
    await until(bufferEvent, 120_000, 'buffer never saw the event');
    await until(
      async () =>
        (
          await organiser.call<SeatMap>(
            'purchase GET seatmap',
            'GET',
            `${svc.purchase}/api/events/${eventId}/seatmap`,
          )
        ).status === 200,
      120_000,
      'purchase never built the inventory',
    );
    const heldTwiceSampler = startHeldTwiceSampler(p.databaseUrl, eventId);
    cleanups.push(() => void heldTwiceSampler.stop().catch(() => undefined));
    // The organiser holds the queue until the fans hold their numbers and the first sockets
    // are open: if the joins overrun the announced sale time on a loaded machine, nobody's
    // turn comes (and lapses) before the driver has connected them.
    await until(
      async () =>
        (await organiser.call('queue GET stats', 'GET', `${svc.queue}/api/events/${eventId}/stats`))
          .status === 200,
      120_000,
      'queue never saw the event',
    );
    await expectOk(
      organiser.call('queue POST pause', 'POST', `${svc.queue}/api/events/${eventId}/pause`, {}),
    );
    log(
      `queue paused by the organiser; sale announced for ${new Date(saleStartsAt).toISOString()} (in ${((saleStartsAt - Date.now()) / 1000).toFixed(1)} s)`,
    );

    // ── the buffer: joins before the close, the close, late joins ─────────────
    const order = shuffle([...fans], rand);
    const lateCount = Math.round(fans.length * lateShare);
    const early = order.slice(0, fans.length - lateCount);
    const lateFans = order.slice(fans.length - lateCount);
    let ack = 0;
    const join = async (f: Fan) => {
      f.joinSentAt = performance.now();
      const challenge = await f.http.call<AltchaChallengeJson>(
        'buffer GET challenge',
        'GET',
        `${svc.buffer}/api/events/${eventId}/challenge`,
      );
      if (challenge.status !== 200)
        throw new Error(`join challenge: ${challenge.status} ${JSON.stringify(challenge.body)}`);
      const r = await f.http.call<{ receipt: string }>(
        'buffer POST entries',
        'POST',
        `${svc.buffer}/api/events/${eventId}/entries`,
        { altcha: solveAltcha(challenge.body) },
      );
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`join: ${r.status} ${JSON.stringify(r.body)}`);
      f.joinedAck = ++ack;
      f.joinAckAt = performance.now();
      const claims = JSON.parse(Buffer.from(r.body.receipt.split('.')[1]!, 'base64url').toString()) as {
        jat: number;
      };
      f.arrival = claims.jat;
    };
    const tJoin = Date.now();
    await inBatches(early, 32, join);
    log(`${early.length} fans joined the buffer in ${((Date.now() - tJoin) / 1000).toFixed(1)} s`);
    // Idempotent: a second join returns the same entry.
    await join(early[0]!);
    // What the buffer shows as its commitment right before the close: the draw must keep to it.
    if (!(await bufferEvent())) throw new Error('the buffer closed before the organiser closed it');
    await expectOk(
      organiser.call('buffer POST close', 'POST', `${svc.buffer}/api/events/${eventId}/close`, {}),
      202,
    );
    // The sale opens at the announced time or at the resume, whichever is later (set below).
    let saleOpenAt = Math.max(Date.now(), saleStartsAt);
    log(`buffer closed by the organiser; sale time in ${((saleStartsAt - Date.now()) / 1000).toFixed(1)} s`);
    progress('closing');
    for (const f of lateFans) f.late = true;
    const lateJoins = inBatches(lateFans, 8, join);

    // Sold-out watch and process/Kafka monitors.
    const procs = new ProcMonitor(currentPids);
    procs.start();
    cleanups.push(() => procs.stop());
    const machineMonitor = new MachineMonitor();
    machineMonitor.start();
    cleanups.push(() => machineMonitor.stop());
    const activity = startActivitySampler(p.databaseUrl);
    cleanups.push(() => void activity.stop());
    kw.startSampling(2000);
    let soldOutAt: number | null = null;
    let watching = true;
    cleanups.push(() => (watching = false));
    const watcher = (async () => {
      const c = new FanClient({ ...shared, latencies: new Latencies() }, '10.255.255.2');
      while (watching) {
        const r = await c
          .call<SeatMap>('watch', 'GET', `${svc.purchase}/api/events/${eventId}/seatmap`)
          .catch(() => undefined);
        if (
          r?.status === 200 &&
          soldOutAt === null &&
          r.body.categories.every((k) => k.sold === k.capacity)
        ) {
          soldOutAt = Date.now();
          log(`sold out after ${((soldOutAt - saleOpenAt) / 1000).toFixed(1)} s`);
        }
        await sleep(250);
      }
    })();

    // Numbers: entries/me sets the queue ticket cookie.
    const numberOf = async (f: Fan) => {
      for (let attempt = 0; ; attempt++) {
        const r = await f.http.call<{ queueNumber: number | null; late: boolean }>(
          'buffer GET entries/me',
          'GET',
          `${svc.buffer}/api/events/${eventId}/entries/me`,
        );
        if (r.status === 200 && r.body.queueNumber !== null) {
          f.queueNumber = r.body.queueNumber;
          if (r.body.late !== f.late)
            log(`fan ${f.i}: buffer says late=${r.body.late}, driver thought ${f.late}`);
          f.late = r.body.late;
          return;
        }
        if (attempt > 240) throw new Error(`fan ${f.i} got no number: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(500);
      }
    };
    await inBatches(early, 64, numberOf);
    await lateJoins;
    await inBatches(lateFans, 16, numberOf);
    log(`numbers handed out (${early.length} buffered, ${lateFans.length} late)`);
    progress('numbered');

    // ── the queue: sockets near the front, turns, claims, purchases ────────────
    let serving = 0;
    /** With patience (drills), a 503 is retried: since `since` (default: now), within patienceMs. */
    const patient = (since = 0) =>
      (opts.patienceMs ?? 0) > 0 && (since === 0 || Date.now() - since < opts.patienceMs!);
    let lastAdmissionAt = saleOpenAt;
    let lastHoldAt = saleOpenAt;
    const outcomes: Record<string, number> = {};
    const finish = (f: Fan, outcome: string) => {
      if (f.outcome) return;
      f.outcome = outcome;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    };
    const byNumber = [...fans].sort((a, b) => a.queueNumber! - b.queueNumber!);
    const wsBase = svc.queue.replace(/^http/, 'ws');
    const purchases: Promise<void>[] = [];
    /** Orders whose card went through, with when (wall clock) for the trace. */
    const paidOrders: PaidOrder[] = [];
    /** Fans whose socket has had its hello: connected and known to the queue. */
    let greeted = 0;
    /** Set when the queue phase is over: closed sockets are not reopened. */
    let stopping = false;

    const connect = (f: Fan, returning: boolean): Promise<void> =>
      new Promise<void>((resolve) => {
        let attempts = 0;
        let reopen: NodeJS.Timeout | undefined;
        /** Since when the socket keeps failing (reset by a hello). */
        let failingSince = 0;
        let claimed = false;
        let counted = false;
        const open = () => {
          if (stopping) return resolve();
          attempts++;
          const ws = new WebSocket(`${wsBase.replace(/\/queue$/, '')}/queue/ws?event=${eventId}`, {
            headers: { cookie: f.http.cookieHeader(), origin: p.url, ...viewerHeaders(f.http.ip, p.edge) },
          });
          sockets.add(ws);
          f.socketOpen = true;
          const done = (outcome?: string) => {
            clearTimeout(reopen);
            if (outcome) finish(f, outcome);
            ws.removeAllListeners('close');
            ws.close();
            sockets.delete(ws);
            f.socketOpen = false;
            resolve();
          };
          const claim = async () => {
            if (claimed) return;
            claimed = true;
            const r = await f.http.call<{ admissionId: string }>(
              'queue POST admission',
              'POST',
              `${svc.queue}/api/events/${eventId}/admission`,
              {},
            );
            if (r.status === 200) {
              admissions++;
              lastAdmissionAt = Date.now();
              done();
              purchases.push(shop(f));
              return;
            }
            const code = problemCode(r.body);
            if (code === 'not_your_turn') {
              claimed = false;
              return;
            }
            if (r.status === 503 && patient()) {
              // A service the queue needs is restarting: the fan tries again.
              claimed = false;
              setTimeout(() => void claimOrGiveUp(), 1000);
              return;
            }
            done(`claim_${code || r.status}`);
          };
          // A claim the platform never answers (client.ts gives up after 30 s, recorded as no
          // answer) ends this fan unfairly; it must not end the whole run as an unhandled rejection.
          const claimOrGiveUp = () => claim().catch(() => done('claim_no_answer'));
          ws.on('message', (data: WebSocket.RawData) => {
            const m = JSON.parse((data as Buffer).toString()) as {
              type: string;
              status?: string;
              servingNumber?: number;
              soldOut?: boolean;
            };
            if (m.servingNumber !== undefined) serving = Math.max(serving, m.servingNumber);
            if (m.type === 'hello') {
              attempts = 0;
              failingSince = 0;
              if (!counted) greeted++;
              counted = true;
              if (!returning && m.status === 'waiting') f.waitedConnected = true;
              if (m.soldOut) soldOutSeen = true;
              if (m.status === 'turn' || m.status === 'parked') void claimOrGiveUp();
              else if (m.status === 'admitted') void claimOrGiveUp();
              else if (m.status === 'lapsed') done('lapsed');
              else if (m.soldOut) done('sold_out');
            } else if (m.type === 'your_turn') void claimOrGiveUp();
            else if (m.type === 'lapsed') done('lapsed');
            else if (m.type === 'sold_out') {
              soldOutSeen = true;
              done('sold_out');
            } else if (m.type === 'cancelled') done('cancelled');
          });
          // When the queue had the returning fan's socket: what its grace is judged by.
          ws.on('open', () => {
            if (returning) f.awayConnectedAt ??= Date.now();
          });
          ws.on('error', () => undefined);
          ws.on('close', (code: number) => {
            sockets.delete(ws);
            f.socketOpen = false;
            if (code === 4410) return done('lapsed');
            if (code === 4409) return; // replaced by our own newer socket
            if (stopping) return done();
            failingSince ||= Date.now();
            f.socketDropped = true;
            if (attempts < 5 || Date.now() - failingSince < (opts.patienceMs ?? 0))
              reopen = setTimeout(open, Math.min(2000, 500 * attempts));
            else done(`socket_closed_${code}`);
          });
        };
        open();
      });

    /** The fan's order for this event still waiting for payment (GET /purchase/api/orders). */
    const pendingOrder = async (f: Fan) => {
      const r = await f.http.call<{
        orders: { orderId: string; eventId: string; status: string; amountMinor: number }[];
      }>('purchase GET orders', 'GET', `${svc.purchase}/api/orders`);
      return r.status === 200
        ? r.body.orders.find((o) => o.eventId === eventId && o.status === 'pending_payment')
        : undefined;
    };

    const shop = async (f: Fan): Promise<void> => {
      const holdsUrl = `${svc.purchase}/api/events/${eventId}/holds`;
      let order: { orderId: string; amountMinor: number } | undefined;
      let qty = f.quantity;
      let unavailableSince = 0;
      for (let attempt = 0; attempt < 8 && !order && qty > 0; attempt++) {
        let body: unknown;
        if (f.seatMode === 'pick' && attempt < 5) {
          const map = await f.http.call<SeatMap>(
            'purchase GET seatmap',
            'GET',
            `${svc.purchase}/api/events/${eventId}/seatmap`,
          );
          if (map.status !== 200) {
            // No seat map (a drill's restart, an overloaded machine): the fan reloads the page.
            if ((map.status === 503 || map.status === 0) && patient(unavailableSince)) {
              unavailableSince ||= Date.now();
              attempt--;
            }
            await sleep(1000);
            continue;
          }
          const free: string[] = [];
          const cats = map.body.categories.filter((c) => c.available >= qty);
          const cat = cats[Math.floor(rand() * cats.length)];
          if (!cat) {
            if (map.body.categories.every((c) => c.available === 0)) break;
            qty--;
            continue;
          }
          for (const s of map.body.sections.filter((x) => x.categoryId === cat.id))
            for (const row of s.rows)
              for (let n = 0; n < row.seats.length; n++)
                if (row.seats[n] === 'a') free.push(`${cat.id}/${s.name}/${row.label}/${n + 1}`);
          body = { seats: shuffle(free, rand).slice(0, qty) };
        } else body = { categoryId: rand() < 0.3 ? 'front' : 'back', quantity: qty };
        const r = await f.http.call<{ orderId: string; amountMinor: number }>(
          'purchase POST holds',
          'POST',
          holdsUrl,
          body,
        );
        if (r.status === 201) {
          order = r.body;
          break;
        }
        const code = problemCode(r.body);
        if (r.attempts > 1 && (code === 'limit_exceeded' || code === 'admission_used')) {
          // An earlier try went through but its answer was lost (a drill's crash): the fan
          // reloads, finds the order under "My orders" and pays for it, as the page lets them.
          order = await pendingOrder(f);
          if (order) break;
        }
        if (code === 'seats_taken') continue;
        if (code === 'not_enough_available') {
          if (attempt % 2 === 1) qty--;
          continue;
        }
        if (code === 'rate_limited' || r.status === 429) {
          await sleep(1000);
          continue;
        }
        if (r.status === 503 && patient(unavailableSince)) {
          unavailableSince ||= Date.now();
          await sleep(1000);
          attempt--;
          continue;
        }
        return finish(f, `hold_${code || r.status}`);
      }
      if (!order) return finish(f, 'no_seats');
      holds++;
      lastHoldAt = Date.now();
      const orderUrl = `${svc.purchase}/api/orders/${order.orderId}`;
      if (f.behaviour === 'abandon') {
        await sleep(rand() * 2000);
        const r = await f.http.call('purchase DELETE hold', 'DELETE', `${orderUrl}/hold`);
        return finish(f, r.status < 300 ? 'released' : `release_${r.status}`);
      }
      if (f.behaviour === 'expire') return finish(f, 'let_expire');
      const checkout = async (): Promise<string | undefined> => {
        for (let i = 0; i < 60; i++) {
          const r = await f.http.call<{ url: string }>(
            'payment POST checkout',
            'POST',
            `${svc.payment}/api/orders/${order.orderId}/checkout`,
            {},
          );
          if (r.status === 200 || r.status === 201) return r.body.url.split('/').pop();
          if (r.status === 404 || r.status === 429 || (r.status === 503 && patient())) {
            await sleep(250 + i * 50);
            continue;
          }
          return undefined;
        }
        return undefined;
      };
      const session = await checkout();
      if (!session) return finish(f, 'checkout_failed');
      if (f.behaviour === 'expireCheckout') return finish(f, 'checkout_then_expire');
      const pay = async (card: string) => {
        const t0 = performance.now();
        try {
          await p.stripe.pay(session, card);
          latencies.add('stripe pay', performance.now() - t0, 200);
          return true;
        } catch {
          latencies.add('stripe pay', performance.now() - t0, 402);
          return false;
        }
      };
      if (f.behaviour === 'decline') {
        if (await pay(CARD_DECLINED)) return finish(f, 'decline_card_accepted?!');
      }
      const paid = await pay(CARD_OK);
      /** A refused good card is fair only once the hold has run out (the checkout closes with it). */
      const refusedFairly = async () => {
        const r = await f.http.call<{ status: string }>('purchase GET order', 'GET', orderUrl);
        return r.status === 200 && r.body.status === 'expired';
      };
      if (paid) {
        payments++;
        progress('selling');
      }
      if (f.behaviour === 'twice') {
        await pay(CARD_OK); // the session is complete: refused
        const again = await f.http.call<{ url: string }>(
          'payment POST checkout',
          'POST',
          `${svc.payment}/api/orders/${order.orderId}/checkout`,
          {},
        );
        const second = again.status < 300 ? again.body.url.split('/').pop() : undefined;
        if (second && second !== session) await p.stripe.pay(second, CARD_OK).catch(() => undefined);
      }
      if (!paid) return finish(f, (await refusedFairly()) ? 'pay_after_expiry' : 'pay_failed');
      // The confirmation page: wait for the order to settle (paid: the tickets are issued).
      const paidAt = performance.now();
      const traced: PaidOrder = { orderId: order.orderId, paidAt: Date.now() };
      paidOrders.push(traced);
      // Stripe's redirect lands the fan on the payment page, whose first read asks payment to
      // confirm the checkout with Stripe now (payment-tracker.svelte.ts), beside the webhooks.
      const returned = f.http
        .call('payment POST returned', 'POST', `${svc.payment}/api/orders/${order.orderId}/returned`, {})
        .catch(() => undefined); // the webhooks authorize it anyway
      // Followed as the payment page does (payment-tracker.svelte.ts): purchase pushes the order's
      // changes on /purchase/ws/orders; the page polls as well, every 1.5 s while the push is
      // connected, else every 250 ms for the first 10 s.
      const feed = new WebSocket(`${svc.purchase.replace(/^http/, 'ws')}/ws/orders?order=${order.orderId}`, {
        headers: { cookie: f.http.cookieHeader(), origin: p.url, ...viewerHeaders(f.http.ip, p.edge) },
      });
      let feedOpen = false;
      let pushed: string | null = null;
      let wake: (() => void) | null = null;
      feed.on('open', () => (feedOpen = true));
      feed.on('message', (data: Buffer) => {
        pushed = (JSON.parse(data.toString()) as { status: string }).status;
        wake?.();
      });
      feed.on('close', () => (feedOpen = false));
      feed.on('error', () => undefined);
      const closeFeed = () => {
        feed.removeAllListeners('message');
        feed.close();
      };
      for (let waited = 0; waited < 60_000;) {
        const told = pushed;
        pushed = null;
        const r =
          told !== null
            ? { status: 200, body: { status: told } }
            : await f.http.call<{ status: string }>('purchase GET order', 'GET', orderUrl);
        if (
          r.status === 200 &&
          !traced.toldAt &&
          (r.body.status === 'confirmed' || r.body.status === 'paid')
        ) {
          latencies.add(PAID_TO_TICKETS, performance.now() - paidAt, 200);
          traced.toldAt = Date.now();
        }
        if (r.status === 200 && r.body.status !== 'pending_payment' && r.body.status !== 'confirmed') {
          latencies.add(PAID_TO_SETTLED, performance.now() - paidAt, r.body.status === 'paid' ? 200 : 409);
          traced.toldAt ??= Date.now();
          closeFeed();
          await returned;
          return finish(f, `order_${r.body.status}`);
        }
        if (pushed !== null) continue;
        const pause = !feedOpen && performance.now() - paidAt < 10_000 ? 250 : 1500;
        const started = performance.now();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
        waited += performance.now() - started;
      }
      closeFeed();
      await returned;
      return finish(f, 'order_unsettled');
    };

    // The driver loop: connect fans whose number is near, away fans later.
    const window = Math.max(settings.maxActiveShoppers * 3, 200);
    const waiting: Promise<void>[] = [];
    let next = 0;
    const awayPending: { f: Fan; at: number }[] = [];
    const soldOutBeforeReturn = new Set<string>();
    const probe = byNumber[0]!;
    let lastProbe = 0;
    const deadline = Date.now() + Math.max(600_000, opts.fans * 60);
    // Resume once the first window of fans is connected (every socket greeted), or after 60 s.
    let resumed = false;
    const resumeBy = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!resumed && next > 0 && (greeted >= next - awayPending.length || Date.now() > resumeBy)) {
        await expectOk(
          organiser.call('queue POST resume', 'POST', `${svc.queue}/api/events/${eventId}/resume`, {}),
        );
        resumed = true;
        saleOpenAt = Math.max(Date.now(), saleStartsAt);
        lastAdmissionAt = lastHoldAt = saleOpenAt;
        log(
          `queue resumed with ${greeted} fans connected (first ${next} numbers); admissions from ${new Date(saleOpenAt).toISOString()}`,
        );
      }
      if (Date.now() - lastProbe > 1000) {
        lastProbe = Date.now();
        const r = await probe.http.call<{ servingNumber: number; soldOut: boolean }>(
          'queue GET me',
          'GET',
          `${svc.queue}/api/events/${eventId}/me`,
        );
        if (r.status === 200) {
          serving = Math.max(serving, r.body.servingNumber);
          if (r.body.soldOut) soldOutSeen = true;
        }
      }
      if (soldOutSeen) break;
      progress('selling');
      while (
        next < byNumber.length &&
        byNumber[next]!.queueNumber! <= serving + window &&
        sockets.size < maxSockets
      ) {
        const f = byNumber[next++]!;
        if (f.away) awayPending.push({ f, at: 0 });
        else waiting.push(connect(f, false));
      }
      for (const a of awayPending) {
        if (a.at === 0 && serving >= a.f.queueNumber!)
          a.at =
            Date.now() +
            (a.f.away === 'within'
              ? settings.awayGraceSeconds * 300
              : settings.awayGraceSeconds * 1000 + 5000);
        if (a.at > 0 && a.at <= Date.now() && !a.f.awayReturnedAt) {
          a.f.awayReturnedAt = Date.now();
          waiting.push(connect(a.f, true));
        }
      }
      const allOut = next >= byNumber.length && awayPending.every((a) => a.f.awayReturnedAt);
      if (allOut && fans.every((f) => f.outcome || !f.socketOpen)) break;
      await sleep(100);
    }
    for (const a of awayPending)
      if (!a.f.awayReturnedAt || (soldOutAt !== null && soldOutAt <= a.f.awayReturnedAt + 5000))
        soldOutBeforeReturn.add(a.f.userId);
    log(
      `queue phase over (serving ${serving}, sold out seen: ${soldOutSeen}); waiting for open sockets and shoppers`,
    );
    // Remaining sockets get sold_out (or finish their turn); give them a bounded time.
    let bounded: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(waiting), new Promise<void>((r) => (bounded = setTimeout(r, 60_000)))]);
    clearTimeout(bounded);
    stopping = true;
    for (const ws of sockets) ws.close();
    await Promise.all(purchases);
    progress('settling');
    await opts.beforeSettle?.();
    for (const f of fans) if (!f.outcome) finish(f, soldOutSeen ? 'not_served_sold_out' : 'not_served');
    const saleSeconds = ((soldOutAt ?? Math.max(lastAdmissionAt, lastHoldAt)) - saleOpenAt) / 1000;

    // Replayed webhooks: events that authorize again (at most 200), same id and body.
    const { events: completed } = await p.stripe.state({
      only: ['events'],
      eventTypes: [
        'charge.succeeded',
        'checkout.session.completed',
        'payment_intent.amount_capturable_updated',
      ],
    });
    const toReplay = shuffle(completed, rand).slice(0, 200);
    let replayed = 0;
    await inBatches(toReplay, 8, async (e) => {
      await p.stripe.replayEvent(e.event.id).then(
        () => replayed++,
        () => undefined,
      );
    });
    log(`replayed ${replayed} webhooks; settling (holds expire after ${settings.holdSeconds} s)`);

    // Settle: webhooks idle, no pending orders or authorizations, no lag.
    const settleDb = new Client({ connectionString: p.databaseUrl });
    await settleDb.connect();
    let lagEnd: Record<string, number> = {};
    const settleDeadline = Date.now() + (settings.holdSeconds + 90) * 1000;
    for (;;) {
      await p.stripe.webhooksIdle();
      const pend = await settleDb.query(
        `SELECT (SELECT count(*) FROM purchase.orders WHERE event_id = $1 AND status IN ('pending_payment','confirmed')) AS orders,
                (SELECT count(*) FROM payment.payments WHERE event_id = $1 AND status = 'authorized') AS auths`,
        [eventId],
      );
      const lag = await kw.lag().catch(() => ({ total: -1, byGroup: {} }));
      lagEnd = lag.byGroup;
      const row = pend.rows[0] as { orders: string; auths: string };
      if (
        (Number(row.orders) === 0 && Number(row.auths) === 0 && lag.total === 0) ||
        Date.now() > settleDeadline
      ) {
        log(`settled: pending orders ${row.orders}, open authorizations ${row.auths}, lag ${lag.total}`);
        break;
      }
      await sleep(1000);
    }
    await settleDb.end();
    watching = false;
    // Each service's /metrics once: its consumers, its calls to Stripe, its own waits.
    const metrics = await Promise.all(
      Object.entries(svc).map(async ([name, url]) => ({
        name,
        text: await fetch(`${url}/metrics`)
          .then((r) => r.text())
          .catch(() => ''),
      })),
    );
    const consumers = metrics.flatMap((m) => consumerFigures(m.text));
    const outbound = metrics.flatMap((m) => outboundFigures(m.name, m.text));
    const runtime = metrics.filter((m) => m.text).map((m) => runtimeFigures(m.name, m.text));
    await watcher;
    kw.stopSampling();
    const trace = await traceOrders({
      brokers: kafka.brokers,
      prefix: kafka.prefix,
      databaseUrl: p.databaseUrl,
      eventId,
      stripe: p.stripe,
      paid: paidOrders,
      chains: MONEY_PATH,
    }).catch((err: unknown) => {
      log(`trace failed: ${(err as Error).message}`);
      return null;
    });
    const services = procs.stop();
    const machine = machineMonitor.stop();
    const dbActivity = await activity.stop();
    const dlq = await kw.dlq();

    const heldTwice = await heldTwiceSampler.stop();
    const fairness = await organiser.call<unknown>(
      'buffer GET fairness',
      'GET',
      `${svc.buffer}/api/events/${eventId}/fairness`,
    );
    const report = await checkInvariants({
      databaseUrl: p.databaseUrl,
      eventId,
      capacity,
      fairness: fairness.status === 200 ? fairness.body : undefined,
      beaconChain: parseChainInfo(await (await fetch(`${p.beaconUrl}/info`)).json()),
      commitmentBeforeClose,
      fans,
      stripe: p.stripe,
      soldOutBeforeReturn: (f) => soldOutBeforeReturn.has(f.userId),
      buyers: fans.filter(
        (f) => f.behaviour === 'pay' || f.behaviour === 'twice' || f.behaviour === 'decline',
      ).length,
      outcomes,
      statuses: Object.fromEntries(Object.entries(latencies.summary()).map(([api, l]) => [api, l.statuses])),
      outage: (opts.patienceMs ?? 0) > 0,
      heldTwice,
    });
    const violations = [...report.violations];
    const lagLeft = Object.entries(lagEnd).filter(([, n]) => n !== 0);
    if (lagLeft.length) violations.push(`consumer lag left: ${JSON.stringify(Object.fromEntries(lagLeft))}`);
    report.checks.kafkaLag = `end lag ${JSON.stringify(lagEnd)}`;
    if (dlq.total) violations.push(`dead letters: ${JSON.stringify(dlq.byTopic)}`);
    report.checks.dlq = `${dlq.total} messages in .dlq topics`;

    const windowSecs = Math.max(0.001, saleSeconds);
    return {
      bench: 'onsale',
      fans: opts.fans,
      seats,
      sold: report.sold,
      invariantsOk: violations.length === 0,
      violations,
      secondsToSellOut:
        soldOutAt === null ? null : Math.round(((soldOutAt as number) - saleOpenAt) / 100) / 10,
      admissionsPerSec: Math.round((admissions / windowSecs) * 10) / 10,
      holdsPerSec: Math.round((holds / windowSecs) * 10) / 10,
      details: {
        checks: report.checks,
        spearman: report.spearman,
        accountsSeconds: Math.round(accountsSeconds * 10) / 10,
        saleSeconds: Math.round(saleSeconds * 10) / 10,
        admissions,
        holds,
        outcomes,
        latencies: latencies.summary(),
        services,
        machine,
        outbound,
        runtime,
        dbActivity,
        kafkaLagPeak: kw.peakLag,
        kafkaLagPeakByGroup: kw.peakByGroup,
        consumers,
        trace,
        kafkaLagEnd: lagEnd,
        dlq: dlq.byTopic,
        replayedWebhooks: replayed,
        settings,
      },
    };
  } finally {
    for (const c of cleanups) c();
    for (const ws of sockets) ws.terminate();
    await kw.stop().catch(() => undefined);
    await platform?.stop();
    await kafka.cleanup().catch(() => undefined);
    if (!opts.keepLocal) rmSync(localDir, { recursive: true, force: true });
  }
}

async function expectOk<T>(call: Promise<{ status: number; body: T }>, status?: number): Promise<T> {
  const r = await call;
  if (status !== undefined ? r.status !== status : r.status >= 300)
    throw new Error(`expected ${status ?? '2xx'}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    await sleep(300);
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s${last instanceof Error ? ` (${last.message})` : ''}`);
}

/** Register through feed, confirm from the SMTP inbox, log in: the client holds the session. */
async function registerVerified(c: FanClient, p: Platform, email: string): Promise<{ id: string }> {
  const feed = p.services.feed;
  const challenge = await expectOk(
    c.call<AltchaChallengeJson>(
      'feed GET register/challenge',
      'GET',
      `${feed}/api/account/register/challenge`,
    ),
    200,
  );
  await expectOk(
    c.call('feed POST account/register', 'POST', `${feed}/api/account/register`, {
      email,
      password: PASSWORD,
      altcha: solveAltcha(challenge),
    }),
    202,
  );
  const mail = await waitForMail(p.inboxUrl, {
    to: email,
    subjectIncludes: 'Confirm your e-mail',
    timeoutMs: 60_000,
  });
  const m = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m) throw new Error(`no verification link for ${email}`);
  await expectOk(
    c.call('feed POST account/verify-email', 'POST', `${feed}/api/account/verify-email`, { token: m[1] }),
  );
  return expectOk(
    c.call<{ id: string }>('feed POST session/login', 'POST', `${feed}/api/session/login`, {
      email,
      password: PASSWORD,
    }),
  );
}

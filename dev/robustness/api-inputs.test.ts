import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Client } from 'pg';
import { openApiDocumentOf, SERVICES } from '../contracts/openapi-documents';
import { LOCAL } from '../platform/paths';
import { startPlatform, type Platform } from '../platform/platform';
import {
  createTestKafka,
  eventually,
  startTestIdentity,
  type TestIdentity,
  type TestKafka,
} from '../test-support';
import type { JsonSchema } from './arbitraries';
import { operationsOf, requestsTo, type ApiRequest, type Operation } from './requests';
import { SchemaChecksum } from './schema-checksum';
import { runAdminCommand } from '../../feed-service/feed-backend/src/admin';

/**
 * Robustness evidence (issue 17): every route of every service, taken from the services'
 * OpenAPI documents (a new route is covered without touching this file), is sent random
 * inputs through the real running platform — five service processes on a fresh database and
 * a private namespace of the test broker. For each input: no 5xx; a refusal is problem+json
 * with a title or detail that says something; and a refusal writes nothing (every table of
 * the service's schema has the same rows before and after, see schema-checksum.ts).
 *
 * The run is part of CI: ROBUSTNESS_RUNS inputs per route (default below) keeps it near a
 * minute on a two-core machine. A failure names the route and fast-check's smallest input.
 */
// 100 per route: ~7,100 inputs in ~30 s plus ~30 s to start and seed the platform (measured
// on the two-core CI machine, 2026-12); ROBUSTNESS_RUNS=300 for a deeper look.
const RUNS_PER_ROUTE = Number(process.env.ROBUSTNESS_RUNS ?? 100);
const SEED = process.env.ROBUSTNESS_SEED ? Number(process.env.ROBUSTNESS_SEED) : undefined;

let identity: TestIdentity;
let kafka: TestKafka;
let platform: Platform;
let localDir: string;

beforeAll(async () => {
  identity = await startTestIdentity();
  kafka = await createTestKafka('robust');
  localDir = path.join(LOCAL, 'robustness', `run-${process.pid}`);
  // The platform signs with the test identity's keys, so the test can sign any caller's cookies.
  mkdirSync(path.join(localDir, 'keys'), { recursive: true });
  for (const name of ['session', 'buffer', 'queue'] as const)
    writeFileSync(path.join(localDir, 'keys', `${name}.jwks.json`), identity.privateJwks[name]);
  platform = await startPlatform({
    portBase: 'free',
    kafka: { brokers: kafka.brokers, topicPrefix: kafka.prefix },
    freshDatabase: 'robust',
    localDir,
    buildFrontends: false,
    // test: every answer is also checked against its declared response schema (a mismatch is a 500).
    serviceEnv: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      REGISTER_POW_MAX_NUMBER: '1000',
      // payment waits this long for an order it has not heard of (5 s by default): random ids would each wait it out
      ORDER_ARRIVAL_WAIT_MS: '100',
    },
    log: () => undefined,
  });
  await seed();
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await kafka?.cleanup();
  await identity?.stop();
  if (localDir) rmSync(localDir, { recursive: true, force: true });
});

/**
 * Accepted requests whose work goes on after the answer, and what shows it still running
 * (rows while it does): a buffer's close waits for the beacon's round, draws, then stores the
 * fairness document.
 */
const RUNS_ON: Record<string, { sql: string }> = {
  'POST /buffer/api/events/{id}/close': {
    sql: `SELECT 1 FROM buffer.buffer_events WHERE state = 'closing' OR (state = 'closed' AND fairness_etag IS NULL)`,
  },
};

const problemJson = /^application\/problem\+json/;

/** The cookies each kind of caller sends (an admitted fan's name the event in the path). */
// Feed's user ids are UUIDs (a session's subject is always one feed issued). The fan, the
// organiser (owner of ORGANISATION) and the admin exist; `ghost` is a session that outlived
// its account.
const CALLERS = { fan: randomUUID(), organiser: randomUUID(), admin: randomUUID(), ghost: randomUUID() };
/** The organiser's organisation (made by feed's admin command, which announces it). */
let ORGANISATION = '';
/** Ids the inputs use besides random ones, so routes get past "not found": the seeded event and people. */
const knownIds: string[] = [CALLERS.fan, CALLERS.organiser];

/**
 * A fan, an organiser with an organisation and an admin in feed, and one published event
 * (its snapshot reaches buffer, queue, purchase and payment over Kafka), then a quiet
 * platform: no service still writing when the first input is judged.
 */
async function seed(): Promise<void> {
  const pg = new Client({ connectionString: platform.databaseUrl });
  await pg.connect();
  try {
    for (const [role, id] of Object.entries(CALLERS).filter(([r]) => r !== 'ghost'))
      await pg.query(`INSERT INTO feed.users (id, email, role, email_verified) VALUES ($1, $2, $3, true)`, [
        id,
        `robust.${role}@example.org`,
        role,
      ]);
    const made = await runAdminCommand(
      ['make-organiser', 'robust.organiser@example.org', '--organisation', 'Robust Org'],
      { databaseUrl: platform.databaseUrl, out: () => undefined },
    );
    if (made !== 0) throw new Error(`make-organiser answered ${made}`);
    ORGANISATION = (
      await pg.query<{ id: string }>(
        `SELECT organisation_id AS id FROM feed.organisation_members WHERE user_id = $1`,
        [CALLERS.organiser],
      )
    ).rows[0]!.id;
    knownIds.push(ORGANISATION);
    const organiser = await identity.sessionCookie({ id: CALLERS.organiser, role: 'organiser' });
    const feed = platform.services.feed;
    const created = await fetch(`${feed}/api/organiser/events`, {
      method: 'POST',
      headers: { cookie: organiser, 'content-type': 'application/json' },
      body: JSON.stringify({
        organisationId: ORGANISATION,
        title: 'Robust Nights',
        artist: 'The Fuzzers',
        venue: 'Hall',
        city: 'Lisbon',
        saleStartsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        startsAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
        categories: [
          { id: 'ga', name: 'Standing', kind: 'ga', priceMinor: 3000, currency: 'EUR', capacity: 100 },
        ],
      }),
    });
    const event = (await created.json()) as { id?: string };
    if (created.status !== 201 || !event.id)
      throw new Error(`seed event: ${created.status} ${JSON.stringify(event)}`);
    const published = await fetch(`${feed}/api/organiser/events/${event.id}/publish`, {
      method: 'POST',
      headers: { cookie: organiser },
    });
    if (published.status !== 200)
      throw new Error(`seed publish: ${published.status} ${await published.text()}`);
    knownIds.push(event.id);
    await eventually(
      async () =>
        (await pg.query(`SELECT 1 FROM purchase.events WHERE event_id = $1`, [event.id])).rowCount === 1 &&
        (await pg.query(`SELECT 1 FROM payment.events WHERE event_id = $1`, [event.id])).rowCount === 1 &&
        // feed announces the organisation (organisation.updated) from a periodic pass
        (await pg.query(`SELECT 1 FROM purchase.organisations WHERE organisation_id = $1`, [ORGANISATION]))
          .rowCount === 1,
      { timeoutMs: 60_000, message: 'the seeded event never reached purchase and payment' },
    );
    // Quiet: two digests of every schema a second apart agree.
    const digests = SERVICES.map((svc) => new SchemaChecksum(pg, svc));
    const all = async () =>
      (await Promise.all(digests.map((d) => d.take()))).map((m) => [...m].join()).join('|');
    let previous = await all();
    await eventually(
      async () => {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await all();
        const quiet = now === previous;
        previous = now;
        return quiet;
      },
      { timeoutMs: 30_000, message: 'the platform never went quiet after the seed' },
    );
  } finally {
    await pg.end();
  }
}

async function cookiesOf(req: ApiRequest): Promise<string | undefined> {
  const fan = { id: CALLERS.fan, email: 'robust.fan@example.org' };
  switch (req.caller) {
    case 'nobody':
      return undefined;
    case 'forged':
      return 'ts_session=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.AAAA';
    case 'ghost':
      return identity.sessionCookie({ id: CALLERS.ghost, email: 'robust.ghost@example.org' });
    case 'fan':
      return identity.sessionCookie(fan);
    case 'organiser':
      return identity.sessionCookie({ id: CALLERS.organiser, role: 'organiser' });
    case 'admin':
      return identity.sessionCookie({ id: CALLERS.admin, role: 'admin' });
    case 'admitted': {
      const eventId = /[0-9a-f-]{36}/.exec(req.path)?.[0] ?? randomUUID();
      return [
        await identity.sessionCookie(fan),
        await identity.admissionCookie(fan.id, eventId, randomUUID()),
        await identity.queueTicketCookie(fan.id, eventId, 1),
      ].join('; ');
    }
  }
}

interface Tally {
  route: string;
  inputs: number;
  '2xx': number;
  '4xx': number;
  statuses: Set<number>;
  ms: number;
}

/**
 * The chains' accepted writes, for judging refusals fairly: an accepted input of one service
 * may go on writing into another's schema over Kafka (an organiser's edit of the seeded event
 * reaches `buffer_events`, `purchase.events`…), seconds later on a loaded machine, while
 * that other service's chain judges a refusal. A refusal whose schema changed while any
 * accepted write was unsettled, or within `CROSS_SERVICE_GRACE_MS` of one, is sent again
 * once every chain's writes have landed, and judged on that second try alone.
 */
const acceptedWrites = { unsettled: 0, count: 0, lastSettledAt: 0 };
const CROSS_SERVICE_GRACE_MS = 3000;
const writesLanding = () =>
  acceptedWrites.unsettled > 0 || Date.now() - acceptedWrites.lastSettledAt < CROSS_SERVICE_GRACE_MS;

/** Waits (at most 30 s) until no chain's accepted write is still landing. */
async function writesLanded(): Promise<void> {
  for (const end = Date.now() + 30_000; writesLanding() && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 100));
}

/** Sends one input; answers what went wrong with it, if anything. */
async function tryInput(
  op: Operation,
  req: ApiRequest,
  tally: Tally,
  schema: SchemaChecksum,
  again = false,
): Promise<string | null> {
  const headers: Record<string, string> = {
    ...req.headers,
    // As CloudFront: each input from its own viewer, so per-client limits do not end the run early.
    [platform.edge.header]: platform.edge.secret,
    'cloudfront-viewer-address': `10.${tally.inputs % 250}.${Math.floor(Math.random() * 250)}.7:443`,
  };
  const cookie = await cookiesOf(req);
  if (cookie) headers.cookie = cookie;
  if (req.contentType) headers['content-type'] = req.contentType;
  const body =
    req.body === undefined ? undefined : 'raw' in req.body ? req.body.raw : JSON.stringify(req.body.json);
  const origin = platform.services[op.service as keyof Platform['services']].replace(/\/[a-z]+$/, '');
  const url = `${origin}${req.path}${req.query ? `?${req.query}` : ''}`;
  const before = await schema.before();
  const writesAtStart = acceptedWrites.count;
  const landingAtStart = writesLanding();
  const res = await fetch(url, { method: op.method, headers, body, redirect: 'manual' });
  const text = await res.text();
  if (!again) tally.inputs++;
  tally.statuses.add(res.status);
  const what = `${op.method} ${url} as ${req.caller} → ${res.status} ${text.slice(0, 300)}`;
  if (res.status < 400 || res.status >= 500) schema.forget();
  if (res.status >= 500) return `5xx: ${what}`;
  if (res.status < 400) {
    tally['2xx']++;
    if (op.method !== 'GET') {
      acceptedWrites.count++;
      acceptedWrites.unsettled++;
      try {
        await schema.settle(RUNS_ON[`${op.method} ${op.path}`]);
      } finally {
        acceptedWrites.unsettled--;
        acceptedWrites.lastSettledAt = Date.now();
      }
    }
    return null;
  }
  if (!again) tally['4xx']++;
  const changed = SchemaChecksum.changed(before, await schema.afterRefusal());
  if (
    changed.length &&
    !again &&
    (landingAtStart || writesLanding() || acceptedWrites.count !== writesAtStart)
  ) {
    // Maybe another chain's accepted write landing here: the same input again, on its own.
    await writesLanded();
    schema.forget();
    return tryInput(op, req, tally, schema, true);
  }
  if (!problemJson.test(res.headers.get('content-type') ?? '')) return `refusal not problem+json: ${what}`;
  let problem: { title?: unknown; detail?: unknown };
  try {
    problem = JSON.parse(text) as typeof problem;
  } catch {
    return `refusal not JSON: ${what}`;
  }
  const says = (v: unknown) => typeof v === 'string' && v.trim().length > 0;
  if (!says(problem.title) && !says(problem.detail)) return `refusal without title or detail: ${what}`;
  if (changed.length) return `refusal wrote ${changed.join(', ')}: ${what}`;
  return null;
}

/** The last error a service logged (a 5xx's cause), for the failure message. */
function serverError(service: string): string {
  try {
    const lines = readFileSync(platform.logFile(service as keyof Platform['services']), 'utf8')
      .trim()
      .split('\n');
    return (
      lines
        .filter((l) => /"level":(50|60)/.test(l))
        .slice(-1)[0]
        ?.slice(0, 1500) ?? ''
    );
  } catch {
    return '';
  }
}

describe('every route of every service, random inputs through the running platform', () => {
  it('when given inputs within and outside its schemas, answers no 5xx, refuses with problem+json and writes nothing when it refuses', async () => {
    const t0 = Date.now();
    const tallies: Tally[] = [];
    const failures: string[] = [];
    // One chain of routes per service, the five at once: a refusal's "nothing written" is
    // judged on its own service's schema (another chain's accepted input may reach it over
    // Kafka: see acceptedWrites).
    await Promise.all(
      SERVICES.map(async (service) => {
        const doc = openApiDocumentOf(service) as unknown as {
          paths: Record<string, Record<string, unknown>>;
          components: { schemas?: Record<string, JsonSchema> };
        };
        const resolve = (ref: string) => doc.components.schemas?.[ref.split('/').pop()!] ?? {};
        const pgService = new Client({ connectionString: platform.databaseUrl });
        await pgService.connect();
        const schema = new SchemaChecksum(pgService, service);
        try {
          for (const op of operationsOf(service, doc.paths)) {
            const tally: Tally = {
              route: `${op.method} ${op.path}`,
              inputs: 0,
              '2xx': 0,
              '4xx': 0,
              statuses: new Set(),
              ms: 0,
            };
            const started = Date.now();
            tallies.push(tally);
            let last: string | null = null;
            try {
              await fc.assert(
                fc.asyncProperty(requestsTo(op, resolve, knownIds), async (req) => {
                  last = await tryInput(op, req, tally, schema);
                  if (last) throw new Error(last);
                }),
                { numRuns: RUNS_PER_ROUTE, seed: SEED, endOnFailure: true },
              );
            } catch (err) {
              const seed = /\{ seed: [^}]*\}/.exec((err as Error).message)?.[0] ?? '';
              failures.push(
                `${tally.route}: ${last ?? (err as Error).message} ${seed}\n${serverError(service)}`,
              );
            }
            tally.ms = Date.now() - started;
          }
        } finally {
          await pgService.end();
        }
      }),
    );
    tallies.sort(
      (a, b) =>
        SERVICES.indexOf(a.route.split('/')[1] as never) - SERVICES.indexOf(b.route.split('/')[1] as never),
    );
    console.table(
      tallies.map((t) => ({
        route: t.route,
        inputs: t.inputs,
        '2xx': t['2xx'],
        '4xx': t['4xx'],
        statuses: [...t.statuses].sort().join(' '),
        ms: t.ms,
      })),
    );
    console.log(
      `robustness: ${tallies.reduce((n, t) => n + t.inputs, 0)} inputs over ${tallies.length} routes in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    expect(failures).toEqual([]);
  }, 600_000);
});

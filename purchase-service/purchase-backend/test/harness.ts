import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import {
  createLogger,
  envelope,
  KafkaBus,
  pgPool,
  type Clock,
  type EventSnapshot,
  type Payload,
  type RunningService,
  type TopicName,
} from '@ticketslave/common';
import {
  createTestDatabase,
  createTestKafka,
  eventually,
  serviceTestEnv,
  sleep,
  startTestIdentity,
  testSigningKeys,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { loadPurchaseConfig } from '../src/config';
import { startPurchaseService } from '../src/start';

/** A purchase service on port 0 with its real database, broker namespace and token issuers. */
export interface Harness {
  svc: RunningService;
  db: TestDatabase;
  kafka: TestKafka;
  identity: TestIdentity;
  bus: KafkaBus;
  publish<T extends TopicName>(topic: T, payload: Payload<T>): Promise<void>;
  /** Publishes an event and waits until its inventory is built. */
  publishEvent(snap: EventSnapshot): Promise<void>;
  fan(
    userId: string,
    eventId: string,
    opts?: { admissionId?: string; role?: 'fan' | 'organiser' | 'admin'; email?: string },
  ): Promise<string>;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /** A second instance on the same database and topics, its environment changed by `env` (the caller stops it). */
  startAnother(env?: Record<string, string>): Promise<RunningService>;
  stop(): Promise<void>;
}

export async function startHarness(
  label: string,
  opts: { clock?: Clock; env?: Record<string, string>; port?: number } = {},
): Promise<Harness> {
  const db = await createTestDatabase(label);
  const kafka = await createTestKafka(label);
  const identity = await startTestIdentity();
  const env = serviceTestEnv('purchase', db, kafka, {
    FEED_JWKS_URL: identity.feed.jwksUrl,
    QUEUE_JWKS_URL: identity.queue.jwksUrl,
    TICKET_SIGNING_JWKS: JSON.stringify(await testSigningKeys('ticket-test')),
    SWEEP_INTERVAL_MS: '100',
    INVENTORY_PUBLISH_MS: '200',
    SEAT_POLL_MS: '100',
    ...opts.env,
  });
  const config = loadPurchaseConfig(env);
  const svc = await startPurchaseService(config, {
    port: opts.port ?? 0,
    clock: opts.clock,
  });
  const bus = new KafkaBus({
    clientId: `${label}-producer`,
    brokers: kafka.brokers,
    logger: createLogger('test', 'silent'),
    topicPrefix: kafka.prefix,
  });
  await bus.start();
  const sql = async <T>(query: string, params: unknown[] = []): Promise<T[]> =>
    svc.kit.ds.query<T[]>(query, params);
  const publish: Harness['publish'] = async (topic, payload) => {
    const msg = { topic, envelope: envelope(topic, payload) };
    // Fresh test topics can briefly lack partition leaders on a busy shared broker.
    for (let attempt = 1; ; attempt++) {
      try {
        return await bus.publish([msg]);
      } catch (err) {
        if (attempt >= 10) throw err;
        await sleep(500);
      }
    }
  };
  return {
    svc,
    db,
    kafka,
    identity,
    bus,
    publish,
    sql,
    startAnother: (changes = {}) =>
      startPurchaseService(loadPurchaseConfig({ ...env, ...changes }), { port: 0, clock: opts.clock }),
    publishEvent: async (snap) => {
      await publish('event.published', snap);
      await eventually(
        async () => {
          const r = await sql<{ v: number }>(`SELECT version AS v FROM events WHERE event_id = $1`, [
            snap.eventId,
          ]);
          return r[0]?.v === snap.version;
        },
        { timeoutMs: 20_000, message: 'inventory was not built' },
      );
    },
    fan: async (userId, eventId, o = {}) => {
      const session = await identity.sessionCookie({ id: userId, role: o.role ?? 'fan', email: o.email });
      const adm = await identity.admissionCookie(userId, eventId, o.admissionId ?? randomUUID());
      return `${session}; ${adm}`;
    },
    stop: async () => {
      await bus.stop();
      await svc.stop();
      await identity.stop();
      await kafka.cleanup();
      await db.drop();
    },
  };
}

/**
 * The queries (their first 40 characters, whitespace folded) each pooled connection of the
 * service sent while `fn` ran, one list per connection: what a transaction's round trips
 * were. The pool's checkouts are watched (its 'acquire' event), never replaced: the service's
 * parts keep taking connections meanwhile (TypeORM with a callback), and a replaced `connect`
 * that dropped their callback once left a connection checked out for good, with no error
 * listener, which the database's drop at teardown then killed (an unhandled error).
 */
export async function queriesWhile<T>(
  h: Harness,
  fn: () => Promise<T>,
): Promise<{ result: T; sent: string[][] }> {
  const pool = pgPool(h.svc.kit.ds);
  const sent = new Map<PoolClient, string[]>();
  // Own properties shadowing the clients' `query`; deleted afterwards.
  const onAcquire = (client: PoolClient) => {
    if (sent.has(client)) return;
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    sent.set(client, []);
    (client as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
      const q = a[0] as string | { text: string };
      sent.get(client)!.push((typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').slice(0, 40));
      return query(...a);
    };
  };
  pool.on('acquire', onAcquire);
  try {
    return { result: await fn(), sent: [...sent.values()] };
  } finally {
    pool.off('acquire', onAcquire);
    for (const client of sent.keys()) delete (client as { query?: unknown }).query;
  }
}

/** A feed snapshot: by default 100 reserved seats (rows A–E × 20 in one section) and a GA category. */
export function snapshot(overrides: Partial<EventSnapshot> = {}): EventSnapshot {
  return {
    eventId: randomUUID(),
    version: 1,
    organiserId: 'org-1',
    status: 'on_sale',
    title: 'The Test Band',
    artist: 'The Test Band',
    description: '',
    venue: 'Test Hall',
    city: 'Testville',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    saleStartsAt: new Date(Date.now() - 3_600_000).toISOString(),
    bufferGraceSeconds: 60,
    queue: { admitRatePerMinute: 100, maxActiveShoppers: 100, awayGraceSeconds: 60 },
    holdSeconds: 300,
    perUserLimit: 6,
    posterUrl: null,
    categories: [
      {
        id: 'stalls',
        name: 'Stalls',
        kind: 'reserved',
        priceMinor: 5000,
        currency: 'EUR',
        sections: [{ name: 'Main', rows: [{ from: 'A', to: 'E', seats: 20 }] }],
      },
      { id: 'standing', name: 'Standing', kind: 'ga', priceMinor: 3000, currency: 'EUR', capacity: 50 },
    ],
    ...overrides,
  };
}

export const seat = (row: string, n: number) => `stalls/Main/${row}/${n}`;

export async function call(
  h: Harness,
  method: string,
  path: string,
  cookie?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> & { [k: string]: unknown } }> {
  const res = await fetch(`${h.svc.url}/purchase/api${path}`, {
    method,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  envelope,
  type EventSnapshot,
  type RunningService,
  type TopicName,
  type Payload,
} from '@ticketslave/common';
import {
  parseFairnessDocument,
  parseReceiptFile,
  verifyDraw,
  type DrandChainInfo,
  type DrawVerification,
} from '@ticketslave/draw';
import { S3_STANDIN_CREDENTIALS, startBeacon, startS3 } from '@ticketslave/dev/standins';
import {
  createTestDatabase,
  createTestKafka,
  eventually,
  serviceTestEnv,
  solveAltcha,
  type AltchaChallengeJson,
  startTestIdentity,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { loadBufferConfig } from '../src/config';
import { startBufferService } from '../src/start';

/** Everything a buffer test needs, all real: database, broker namespace, identity, beacon, service. */
export interface Harness {
  db: TestDatabase;
  kafka: TestKafka;
  identity: TestIdentity;
  /** The S3 stand-in holding the fairness bucket. */
  s3Url: string;
  beaconUrl: string;
  /** The beacon stand-in's chain (what verifiers are told to trust, as `--chain-info`). */
  beaconInfo: DrandChainInfo;
  /** Stops the beacon stand-in: the buffer then finds nothing at BEACON_URL. */
  stopBeacon(): Promise<void>;
  /** Starts it again on the same port: the same chain, or one signing with `secretKey` instead. */
  startBeacon(secretKey?: string): Promise<void>;
  /** `verifyDraw` of @ticketslave/draw on a served document, trusting the stand-in's chain. */
  verify(doc: unknown, receipts?: string[], expect?: number): Promise<DrawVerification>;
  service: RunningService;
  env: Record<string, string>;
  pg: Client;
  publish<T extends TopicName>(topic: T, payload: Payload<T>): Promise<void>;
  /** Publishes an event through Kafka and waits until the buffer knows it. */
  createEvent(overrides?: Partial<EventSnapshot>): Promise<EventSnapshot>;
  startAnother(): Promise<RunningService>;
  api(
    path: string,
    init?: { method?: string; cookie?: string; body?: unknown },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever JSON the API answers
  ): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export function snapshot(overrides: Partial<EventSnapshot> = {}): EventSnapshot {
  return {
    eventId: randomUUID(),
    version: 1,
    organiserId: 'org-1',
    status: 'published',
    title: 'Test night',
    artist: 'The Testers',
    description: '',
    venue: 'Hall',
    city: 'Berlin',
    startsAt: new Date(Date.now() + 30 * 86400_000).toISOString(),
    saleStartsAt: new Date(Date.now() + 3600_000).toISOString(),
    bufferGraceSeconds: 0,
    // The lowest join difficulty an organiser may set: tests solve every join for real, quickly.
    queue: { admitRatePerMinute: 100, maxActiveShoppers: 100, awayGraceSeconds: 60, joinPowMaxNumber: 1000 },
    holdSeconds: 300,
    perUserLimit: 4,
    posterUrl: null,
    categories: [{ kind: 'ga', id: 'ga', name: 'GA', priceMinor: 1000, currency: 'EUR', capacity: 100 }],
    ...overrides,
  };
}

/**
 * The shared test broker sometimes answers "does not host this topic-partition" while
 * several test files create their topics at once; creating topics and starting are retried.
 */
async function retryKafka<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 4 || !/topic-partition|leader/i.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

export async function startHarness(label: string, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase(label);
  const kafka = await retryKafka(() => createTestKafka(label));
  const identity = await startTestIdentity();
  let beacon: Awaited<ReturnType<typeof startBeacon>> | null = await startBeacon({ port: 0, period: 1 });
  const beaconPort = beacon.port;
  const beaconSecret = beacon.secretKey;
  const beaconInfo = beacon.info;
  const s3 = await startS3({
    port: 0,
    dataDir: path.join(tmpdir(), `buffer-test-s3-${process.pid}-${label}`),
    buckets: ['ticketslave-fairness'],
  });
  const env = serviceTestEnv('buffer', db, kafka, {
    FEED_JWKS_URL: identity.feed.jwksUrl,
    BUFFER_SIGNING_JWKS: identity.privateJwks.buffer,
    BEACON_URL: beacon.url,
    // Pinned as on the platform: a beacon restarted with another key is another chain, refused.
    BEACON_CHAIN_HASH: beacon.info.hash,
    BUFFER_CLOSE_TICK_MS: '100',
    S3_ENDPOINT: s3.url,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: S3_STANDIN_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: S3_STANDIN_CREDENTIALS.secretAccessKey,
    ...extraEnv,
  });
  const services: RunningService[] = [
    await retryKafka(() => startBufferService(loadBufferConfig(env), { port: 0 })),
  ];
  const producerClient = new Kafka({
    clientId: 'buffer-test',
    brokers: kafka.brokers,
    logLevel: logLevel.NOTHING,
  });
  const producer: Producer = producerClient.producer();
  await producer.connect();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  await pg.query('SET search_path TO buffer');

  const h: Harness = {
    db,
    kafka,
    identity,
    beaconUrl: beacon.url,
    s3Url: s3.url,
    beaconInfo,
    stopBeacon: async () => {
      await beacon?.stop();
      beacon = null;
    },
    startBeacon: async (secretKey = beaconSecret) => {
      await beacon?.stop();
      beacon = await startBeacon({ port: beaconPort, period: 1, secretKey });
    },
    verify: (doc, receipts = [], expect) =>
      verifyDraw(parseFairnessDocument(doc), {
        receipts: receipts.map((r) => parseReceiptFile(r)),
        trustChains: [{ info: beaconInfo, source: 'the test beacon' }],
        ...(expect !== undefined ? { expect } : {}),
      }),
    service: services[0]!,
    env,
    pg,
    publish: async (topic, payload) => {
      const key = (payload as { eventId: string }).eventId;
      await producer.send({
        topic: kafka.prefix + topic,
        messages: [{ key, value: JSON.stringify(envelope(topic, payload)) }],
      });
    },
    createEvent: async (overrides) => {
      const s = snapshot(overrides);
      await h.publish('event.published', s);
      await eventually(async () => (await h.api(`/buffer/api/events/${s.eventId}`)).status === 200, {
        timeoutMs: 30_000,
        message: 'the buffer never saw the event',
      });
      return s;
    },
    startAnother: async () => {
      const s = await retryKafka(() => startBufferService(loadBufferConfig(env), { port: 0 }));
      services.push(s);
      return s;
    },
    api: async (path, init = {}) => {
      const res = await fetch(h.service.url + path, {
        method: init.method ?? 'GET',
        headers: {
          ...(init.cookie ? { cookie: init.cookie } : {}),
          ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
    },
    stop: async () => {
      for (const s of services.reverse()) await s.stop().catch(() => undefined);
      await producer.disconnect();
      await pg.end();
      await beacon?.stop();
      await s3.stop();
      await identity.stop();
      await kafka.cleanup();
      await db.drop();
    },
  };
  return h;
}

/** A fan's session cookie (verified e-mail unless said otherwise). */
export const fan = (
  h: Harness,
  id: string,
  extra: { emailVerified?: boolean; role?: 'fan' | 'organiser' | 'admin' } = {},
) => h.identity.sessionCookie({ id, ...extra });

/**
 * Fetches the event's join challenge from `base` and solves it, as the waiting room's widget does;
 * `headers` e.g. `viewerHeaders(ip)` for a fan at their own address.
 */
export async function joinProof(
  h: Harness,
  eventId: string,
  base = h.service.url,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await fetch(`${base}/buffer/api/events/${eventId}/challenge`, { headers });
  if (res.status !== 200) throw new Error(`join challenge: ${res.status} ${await res.text()}`);
  return solveAltcha((await res.json()) as AltchaChallengeJson);
}

/** Joins as `userId` with a solved proof of work. */
export const join = async (h: Harness, eventId: string, userId: string) =>
  h.api(`/buffer/api/events/${eventId}/entries`, {
    method: 'POST',
    cookie: await fan(h, userId),
    body: { altcha: await joinProof(h, eventId) },
  });

/** Buffers fans straight in SQL, in the given order (join order = array order), hashing as the service does. */
export async function bulkJoin(h: Harness, eventId: string, userIds: string[], late = false): Promise<void> {
  await h.pg.query(
    `INSERT INTO entries (event_id, user_id, entrant_hash, late)
     SELECT $1, u, encode(sha256(decode(e.salt, 'hex') || convert_to(u, 'UTF8')), 'hex'), $3
     FROM unnest($2::text[]) WITH ORDINALITY AS x(u, i), buffer_events e
     WHERE e.event_id = $1 ORDER BY i`,
    [eventId, userIds, late],
  );
}

/** userId → queue number, as stored. */
export async function numbersOf(
  h: Harness,
  eventId: string,
): Promise<Map<string, { n: number | null; late: boolean }>> {
  const { rows } = await h.pg.query<{ user_id: string; queue_number: number | null; late: boolean }>(
    `SELECT e.user_id, n.queue_number, e.late FROM entries e
     LEFT JOIN numbers n ON n.event_id = e.event_id AND n.user_id = e.user_id WHERE e.event_id = $1`,
    [eventId],
  );
  return new Map(rows.map((r) => [r.user_id, { n: r.queue_number, late: r.late }]));
}

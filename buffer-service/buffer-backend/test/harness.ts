import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  envelope,
  type EventSnapshot,
  type RunningService,
  type TopicName,
  type Payload,
} from '@ticketslave/common';
import { startBeacon } from '@ticketslave/dev/standins';
import {
  createTestDatabase,
  createTestKafka,
  eventually,
  serviceTestEnv,
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
  beaconUrl: string;
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
    queue: { admitRatePerMinute: 100, maxActiveShoppers: 100, awayGraceSeconds: 60 },
    holdSeconds: 300,
    perUserLimit: 4,
    posterUrl: null,
    categories: [{ kind: 'ga', id: 'ga', name: 'GA', priceMinor: 1000, currency: 'EUR', capacity: 100 }],
    ...overrides,
  };
}

export async function startHarness(label: string, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const db = await createTestDatabase(label);
  const kafka = await createTestKafka(label);
  const identity = await startTestIdentity();
  const beacon = await startBeacon({ port: 0, period: 1 });
  const env = serviceTestEnv(db, kafka, {
    FEED_JWKS_URL: identity.feed.jwksUrl,
    BUFFER_SIGNING_JWKS: identity.privateJwks.buffer,
    BEACON_URL: beacon.url,
    BUFFER_CLOSE_TICK_MS: '100',
    ...extraEnv,
  });
  const services: RunningService[] = [await startBufferService(loadBufferConfig(env), { port: 0 })];
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
      const s = await startBufferService(loadBufferConfig(env), { port: 0 });
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
      await beacon.stop();
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

export const join = async (h: Harness, eventId: string, userId: string) =>
  h.api(`/buffer/api/events/${eventId}/entries`, { method: 'POST', cookie: await fan(h, userId), body: {} });

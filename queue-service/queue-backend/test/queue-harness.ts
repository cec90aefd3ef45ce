import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  envelope,
  KafkaBus,
  createLogger,
  type EventSnapshot,
  type Payload,
  type RunningService,
} from '@ticketslave/common';
import {
  createTestDatabase,
  createTestKafka,
  serviceTestEnv,
  startTestIdentity,
  type TestDatabase,
  type TestIdentity,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import { loadQueueConfig } from '../src/config';
import { startQueueService } from '../src/start';

/** A real queue service (or several) on a private database and Kafka namespace, fed like buffer/feed/purchase would. */
export interface Harness {
  db: TestDatabase;
  kafka: TestKafka;
  identity: TestIdentity;
  bus: KafkaBus;
  start(extra?: Record<string, string>): Promise<RunningService>;
  publish<
    T extends
      | 'event.published'
      | 'event.updated'
      | 'queue.assigned'
      | 'inventory.changed'
      | 'event.cancelled'
      | 'order.created'
      | 'order.expired'
      | 'order.completed',
  >(
    topic: T,
    payload: Payload<T>,
  ): Promise<void>;
  close(): Promise<void>;
}

export async function createHarness(label: string): Promise<Harness> {
  const [db, kafka, identity] = await Promise.all([
    createTestDatabase(label),
    createTestKafka(label),
    startTestIdentity(),
  ]);
  const bus = new KafkaBus({
    clientId: 'test-feeder',
    brokers: kafka.brokers,
    logger: createLogger('test', 'silent'),
    topicPrefix: kafka.prefix,
  });
  await bus.start();
  const services: RunningService[] = [];
  return {
    db,
    kafka,
    identity,
    bus,
    start: async (extra = {}) => {
      const config = loadQueueConfig(
        serviceTestEnv('queue', db, kafka, {
          FEED_JWKS_URL: identity.feed.jwksUrl,
          BUFFER_JWKS_URL: identity.buffer.jwksUrl,
          QUEUE_SIGNING_JWKS: identity.privateJwks.queue,
          QUEUE_TICK_MS: '50',
          ...extra,
        }),
      );
      const s = await startQueueService(config, { port: 0 });
      services.push(s);
      return s;
    },
    publish: async (topic, payload) => {
      await bus.publish([{ topic, envelope: envelope(topic, payload) }]);
    },
    close: async () => {
      for (const s of services) await s.stop().catch(() => undefined);
      await bus.stop();
      await identity.stop();
      await db.drop();
      await kafka.cleanup();
    },
  };
}

export function snapshot(
  eventId: string,
  over: Partial<EventSnapshot['queue']> & {
    organiserId?: string;
    version?: number;
    /** Already open by default; a future time holds every turn back until then. */
    saleStartsAt?: string;
  } = {},
): EventSnapshot {
  return {
    eventId,
    version: over.version ?? 1,
    organiserId: over.organiserId ?? 'org-1',
    status: 'on_sale',
    title: 'Test',
    artist: 'Band',
    description: '',
    venue: 'Hall',
    city: 'Town',
    startsAt: '2031-01-01T20:00:00Z',
    saleStartsAt: over.saleStartsAt ?? '2020-01-01T10:00:00Z',
    bufferGraceSeconds: 60,
    queue: {
      admitRatePerMinute: over.admitRatePerMinute ?? 6000,
      maxActiveShoppers: over.maxActiveShoppers ?? 1000,
      awayGraceSeconds: over.awayGraceSeconds ?? 60,
    },
    holdSeconds: 300,
    perUserLimit: 4,
    posterUrl: null,
    categories: [{ kind: 'ga', id: 'ga', name: 'GA', priceMinor: 1000, currency: 'EUR', capacity: 100 }],
  };
}

export interface Fan {
  ws: WebSocket;
  messages: { type: string; [k: string]: unknown }[];
  closed: Promise<{ code: number; reason: string }>;
  waitFor(type: string, timeoutMs?: number): Promise<{ type: string; [k: string]: unknown }>;
}

/** A real WebSocket client carrying the cookies a browser would send on /queue. */
export function connectFan(service: RunningService, eventId: string, cookie: string): Promise<Fan> {
  const ws = new WebSocket(`${service.url.replace('http', 'ws')}/queue/ws?event=${eventId}`, {
    headers: { cookie, origin: 'http://localhost:8080' },
  });
  const messages: Fan['messages'] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (d: Buffer) => {
    messages.push(JSON.parse(d.toString()) as Fan['messages'][number]);
    waiters.splice(0).forEach((w) => w());
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      waiters.splice(0).forEach((w) => w());
    }),
  );
  const fan: Fan = {
    ws,
    messages,
    closed,
    waitFor: (type, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no ${type} within ${timeoutMs} ms; got ${messages.map((m) => m.type).join(',')}`),
            ),
          timeoutMs,
        );
        const check = () => {
          const m = messages.find((x) => x.type === type);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(check);
        };
        check();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(fan));
    ws.once('error', reject);
  });
}

export const newEventId = () => randomUUID();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKafka, type KafkaBroker } from '@ticketslave/dev/kafka/broker';
import { createTestDatabase, eventually, sleep, type TestDatabase } from '@ticketslave/dev/test-support';
import {
  ApiRouter,
  createDataSource,
  createLogger,
  enqueueMessages,
  envelope,
  KafkaBus,
  migrate,
  OutboxRelay,
  processOnce,
  queryOne,
  startService,
  baseConfigShape,
  loadConfig,
  type RunningService,
} from '../src';
import type { DataSource } from 'typeorm';

// A private broker: this file stops and restarts it, which the shared test broker must not see.
const PORT = 19492;
const EVENT = '0d6f3b52-8e0f-4a55-a7c4-6a3f0f9b0c21';
const logger = createLogger('outbox-test', 'silent');
const cancelled = (reason: string) => envelope('event.cancelled', { eventId: EVENT, reason });

describe('transactional outbox through a real broker restart', () => {
  let dataDir: string;
  let broker: KafkaBroker;
  let db: TestDatabase;
  let ds: DataSource;
  let bus: KafkaBus;
  let consumerBus: KafkaBus;
  let relay: OutboxRelay;
  const effects: string[] = [];

  const startBroker = () => startKafka({ port: PORT, controllerPort: PORT + 1, dataDir, heapMb: 384 });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'ts-outbox-kafka-'));
    broker = await startBroker();
    db = await createTestDatabase('outbox');
    ds = createDataSource({ url: db.url, schema: 'svc' });
    await migrate(ds, 'svc', { sqlFunctions: [] });
    bus = new KafkaBus({ clientId: 'outbox-test', brokers: broker.brokers, logger });
    await bus.ensureTopics();
    await bus.start();
    relay = new OutboxRelay({ databaseUrl: db.url, schema: 'svc', bus, logger, pollMs: 200 });
    await relay.start();
    // The downstream consumer applies each message once, whatever the redeliveries.
    consumerBus = new KafkaBus({ clientId: 'outbox-consumer', brokers: broker.brokers, logger });
    await consumerBus.subscribe({
      groupId: 'downstream',
      topics: ['event.cancelled'],
      handler: async (m) => {
        await processOnce(ds, 'downstream', m.envelope.id, async () => {
          effects.push((m.envelope.payload as { reason: string }).reason);
        });
      },
    });
  }, 120_000);

  afterAll(async () => {
    await relay?.stop();
    await consumerBus?.stop();
    await bus?.stop();
    await ds?.destroy();
    await broker?.stop();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('publishes a message only when its transaction commits', async () => {
    await ds
      .transaction(async (em) => {
        await enqueueMessages(em, [
          { topic: 'event.cancelled', envelope: cancelled('rolled back') },
        ]);
        throw new Error('abort');
      })
      .catch(() => undefined);
    await ds.transaction(async (em) => {
      await enqueueMessages(em, [{ topic: 'event.cancelled', envelope: cancelled('committed') }]);
    });
    // The first message waits for the private broker's consumer group to form; generous under CI load.
    await eventually(() => effects.includes('committed'), { timeoutMs: 90_000 });
    await sleep(500);
    expect(effects).not.toContain('rolled back');
  }, 120_000);

  it('keeps messages while the broker is down and publishes them after it returns, applied once', async () => {
    await broker.stop();
    await ds.transaction(async (em) => {
      await enqueueMessages(em, [
        { topic: 'event.cancelled', envelope: cancelled('while down') },
      ]);
    });
    await sleep(1500);
    const count = (await queryOne<{ count: number }>(ds, 'SELECT count(*)::int AS count FROM svc.outbox'))
      ?.count;
    expect(count).toBe(1);
    broker = await startBroker();
    await eventually(() => effects.includes('while down'), {
      timeoutMs: 60_000,
      message: 'message published after restart',
    });
    // A duplicate delivery of the same envelope changes nothing downstream.
    const dup = cancelled('duplicate');
    await bus.publish([{ topic: 'event.cancelled', envelope: dup }]);
    await bus.publish([{ topic: 'event.cancelled', envelope: dup }]);
    await eventually(() => effects.includes('duplicate'), { timeoutMs: 20_000 });
    await sleep(1000);
    expect(effects.filter((e) => e === 'duplicate')).toHaveLength(1);
    expect(effects.filter((e) => e === 'while down')).toHaveLength(1);
    const left = (await queryOne<{ left: number }>(ds, 'SELECT count(*)::int AS left FROM svc.outbox'))?.left;
    expect(left).toBe(0);
  }, 120_000);

  it('reports not-ready on /readyz while the broker is stopped, and ready again after', async () => {
    const config = loadConfig('probe', baseConfigShape, {
      DATABASE_URL: db.url,
      KAFKA_BROKERS: broker.brokers.join(','),
      LOG_LEVEL: 'silent',
      HOST: '127.0.0.1',
    });
    const svc: RunningService = await startService({
      service: 'probe',
      config,
      port: 0,
      wire: () => ({ api: new ApiRouter() }),
    });
    try {
      expect((await fetch(`${svc.url}/probe/healthz`)).status).toBe(200);
      expect((await fetch(`${svc.url}/probe/readyz`)).status).toBe(200);
      await broker.stop();
      const down = await fetch(`${svc.url}/probe/readyz`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { checks: { name: string; ok: boolean }[] }).checks).toContainEqual(
        expect.objectContaining({ name: 'kafka', ok: false }),
      );
      broker = await startBroker();
      await eventually(async () => (await fetch(`${svc.url}/probe/readyz`)).status === 200, {
        timeoutMs: 30_000,
      });
    } finally {
      await svc.stop();
    }
  }, 120_000);
});

import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import {
  createTestDatabase,
  createTestKafka,
  eventually,
  sleep,
  type TestDatabase,
  type TestKafka,
} from '@ticketslave/dev/test-support';
import {
  createDataSource,
  createLogger,
  enqueueMessages,
  envelope,
  KafkaBus,
  migrate,
  OutboxRelay,
} from '../src';

const EVENT = '3b8a4f0e-2f43-4c1e-9a77-5d0d6f1b2c33';
const logger = createLogger('outbox-order-test', 'silent');
const cancelled = (reason: string) => ({
  topic: 'event.cancelled' as const,
  envelope: envelope('event.cancelled', { eventId: EVENT, reason }),
});

describe('outbox relay ordering and isolation', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  let kafka: TestKafka;
  let ds: DataSource;
  let bus: KafkaBus;
  let relay: OutboxRelay;
  const received: string[] = [];

  beforeAll(async () => {
    [db, other, kafka] = await Promise.all([
      createTestDatabase('oborder'),
      createTestDatabase('obother'),
      createTestKafka('oborder'),
    ]);
    ds = createDataSource({ url: db.url, schema: 'svc' });
    await migrate(ds, 'svc', { sqlFunctions: [] });
    bus = new KafkaBus({
      clientId: 'outbox-order',
      brokers: kafka.brokers,
      logger,
      topicPrefix: kafka.prefix,
    });
    await bus.start();
    await bus.subscribe({
      groupId: 'reader',
      topics: ['event.cancelled'],
      handler: async (m) => void received.push((m.envelope.payload as { reason: string }).reason),
    });
    relay = new OutboxRelay({ databaseUrl: db.url, schema: 'svc', bus, logger, pollMs: 200 });
    await relay.start();
  }, 60_000);

  afterAll(async () => {
    await relay?.stop();
    await bus?.stop();
    await ds?.destroy();
    await kafka?.cleanup();
    await db?.drop();
    await other?.drop();
  }, 60_000);

  it('is not held up by a long transaction elsewhere on the server', async () => {
    const elsewhere = new Client({ connectionString: other.url });
    await elsewhere.connect();
    await elsewhere.query('BEGIN');
    await elsewhere.query('SELECT pg_current_xact_id()'); // holds back the server-wide xmin
    try {
      await ds.transaction((em) => enqueueMessages(em, [cancelled('while another database is busy')]));
      await eventually(() => received.includes('while another database is busy'), { timeoutMs: 30_000 });
    } finally {
      await elsewhere.query('ROLLBACK');
      await elsewhere.end();
    }
  }, 60_000);

  it('never lets a message committed later overtake one written earlier', async () => {
    const slow = ds.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    await enqueueMessages(slow.manager, [cancelled('first written, committed last')]);
    await ds.transaction((em) => enqueueMessages(em, [cancelled('second written, committed first')]));
    await sleep(2000);
    expect(received).not.toContain('second written, committed first');
    await slow.commitTransaction();
    await slow.release();
    await eventually(() => received.includes('second written, committed first'), { timeoutMs: 30_000 });
    const order = received.filter((r) => r.includes('written'));
    expect(order).toEqual(['first written, committed last', 'second written, committed first']);
  }, 60_000);
});

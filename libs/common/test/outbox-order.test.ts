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

  it('when a notification starts a round, then it is two round trips: the horizon with the first rows, and the DELETE', async () => {
    // A relay of its own schema that only a notification wakes (no poll within the test).
    const ds2 = createDataSource({ url: db.url, schema: 'svc_trips' });
    await migrate(ds2, 'svc_trips', { sqlFunctions: [] });
    const sent: string[] = [];
    // The original, called with the relay's client as `this` below.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const query = Client.prototype.query;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args) {
      const params = (this as unknown as { connectionParameters: { application_name?: string } })
        .connectionParameters;
      if (params.application_name === 'svc_trips-outbox') {
        const q = args[0] as unknown as string | { text: string };
        sent.push((typeof q === 'string' ? q : q.text).replace(/\s+/g, ' ').trim().slice(0, 30));
      }
      return (query as (...a: unknown[]) => unknown).apply(this, args) as ReturnType<Client['query']>;
    });
    const relay2 = new OutboxRelay({
      databaseUrl: db.url,
      schema: 'svc_trips',
      bus,
      logger,
      pollMs: 120_000,
    });
    try {
      await relay2.start();
      await eventually(() => sent.some((q) => q.startsWith('LISTEN')), { timeoutMs: 10_000 });
      await sleep(500); // the first round (a probe of the empty outbox) is over
      sent.length = 0;
      await ds2.transaction((em) => enqueueMessages(em, [cancelled('counted round')]));
      await eventually(() => received.includes('counted round'), { timeoutMs: 30_000 });
      await eventually(() => relay2.published === 1, { timeoutMs: 5_000 });
      expect(sent).toEqual([
        expect.stringMatching(/^BEGIN; SET LOCAL lock_timeout/),
        expect.stringMatching(/^DELETE FROM outbox/),
      ]);
    } finally {
      await relay2.stop();
      spy.mockRestore();
      await ds2.destroy();
    }
  }, 60_000);
});

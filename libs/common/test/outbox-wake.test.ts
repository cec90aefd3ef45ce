import { Client } from 'pg';
import { createTestDatabase, sleep, type TestDatabase } from '@ticketslave/dev/test-support';
import type { DataSource } from 'typeorm';
import { createDataSource, enqueueMessages, envelope, migrate, wakeOutboxAfterCommit } from '../src';

const EVENT = '6f1c3c8e-3a55-4d0e-9b55-1b7e0f0c9a11';
const message = (reason: string) => ({
  topic: 'event.cancelled' as const,
  envelope: envelope('event.cancelled', { eventId: EVENT, reason }),
});

describe('waking the outbox relay after the commit', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let listener: Client;
  let reader: Client;
  const notifications: string[] = [];
  /** What the waker saw: the outbox rows visible to another connection when it was called. */
  const wakes: Promise<number>[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('outboxwake');
    ds = createDataSource({ url: db.url, schema: 'svc' });
    await migrate(ds, 'svc', { sqlFunctions: [] });
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', (n) => notifications.push(n.channel));
    await listener.query('LISTEN svc_outbox');
    reader = new Client({ connectionString: db.url });
    await reader.connect();
    wakeOutboxAfterCommit(ds, () => {
      wakes.push(
        reader.query('SELECT count(*)::int AS n FROM svc.outbox').then((r) => r.rows[0].n as number),
      );
    });
  }, 60_000);

  afterAll(async () => {
    await listener?.end();
    await reader?.end();
    await ds?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await reader.query('DELETE FROM svc.outbox');
    wakes.length = 0;
    notifications.length = 0;
  });

  it('wakes it once the transaction has committed, with the rows visible, and sends no NOTIFY', async () => {
    await ds.transaction(async (em) => {
      await enqueueMessages(em, [message('one')]);
      await enqueueMessages(em, [message('two')]);
      await sleep(50);
      expect(wakes).toHaveLength(0); // not before the commit
    });
    expect(wakes).toHaveLength(1);
    expect(await wakes[0]).toBe(2);
    await sleep(200);
    expect(notifications).toEqual([]);
  });

  it('does not wake it for a transaction that rolls back, nor for one that wrote nothing to the outbox', async () => {
    await expect(
      ds.transaction(async (em) => {
        await enqueueMessages(em, [message('rolled back')]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await ds.transaction((em) => em.query('SELECT 1'));
    await sleep(200);
    expect(wakes).toHaveLength(0);
    expect(notifications).toEqual([]);
  });

  it('still NOTIFYs in the statement for a write outside a TypeORM transaction', async () => {
    await enqueueMessages(ds.manager, [message('autocommit')]);
    await sleep(200);
    expect(notifications).toEqual(['svc_outbox']);
    expect(wakes).toHaveLength(0);
  });
});

import type { QueryRunner } from 'typeorm';
import { eventually } from '@ticketslave/dev/test-support';
import { numbersPartition } from '../src/data/close-copy';
import { NumbersByEvent1700000000041 } from '../src/data/migrations/1700000000041-numbers-by-event';
import { bulkJoin, fan, join, numbersOf, startHarness, type Harness } from './harness';

/** `numbers` is partitioned by event: each close writes, indexes and attaches its own partition. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness('bufparts');
});
afterAll(() => h?.stop());

const partitions = async (): Promise<string[]> =>
  (
    await h.pg.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'numbers'::regclass ORDER BY 1`,
    )
  ).rows.map((r) => r.relname);

const indexesOf = async (table: string): Promise<string[]> =>
  (
    await h.pg.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY 1`,
      [table],
    )
  ).rows.map((r) => r.indexdef.replace(/^.* USING /, ''));

async function closeNow(eventId: string, organiserId: string): Promise<void> {
  const res = await h.api(`/buffer/api/events/${eventId}/close`, {
    method: 'POST',
    cookie: await fan(h, organiserId, { role: 'organiser' }),
    body: {},
  });
  expect(res.status).toBe(202);
  await eventually(async () => (await h.api(`/buffer/api/events/${eventId}`)).body.state === 'closed', {
    timeoutMs: 20_000,
    message: 'the buffer never closed',
  });
}

it("a close writes its numbers into the event's own partition, indexed by number and by user; a late joiner's number lands there too", async () => {
  const event = await h.createEvent({ organiserId: 'org-parts' });
  await bulkJoin(h, event.eventId, ['p-1', 'p-2', 'p-3']);
  await closeNow(event.eventId, 'org-parts');

  const table = numbersPartition(event.eventId);
  expect(await partitions()).toContain(table);
  expect(await indexesOf(table)).toEqual(['btree (queue_number)', 'btree (user_id)']);
  const { rows } = await h.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  expect(rows[0]!.n).toBe(3);

  expect((await join(h, event.eventId, 'p-late')).status).toBe(201);
  const numbers = await numbersOf(h, event.eventId);
  expect([...numbers.values()].map((v) => v.n).sort()).toEqual([1, 2, 3, 4]);
  expect(numbers.get('p-late')).toEqual({ n: 4, late: true });
  const late = await h.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
  expect(late.rows[0]!.n).toBe(4);
});

it('the migration moves the numbers of events closed before it into one partition each (and back down), and refuses a number for an event without one', async () => {
  const before = await h.createEvent({ organiserId: 'org-parts' });
  await bulkJoin(h, before.eventId, ['m-1', 'm-2']);
  await closeNow(before.eventId, 'org-parts');
  const emptyClosed = await h.createEvent({ organiserId: 'org-parts' });
  await closeNow(emptyClosed.eventId, 'org-parts');
  const open = await h.createEvent({ organiserId: 'org-parts' });
  await h.service.stop();

  const migration = new NumbersByEvent1700000000041();
  const q = { query: (sql: string) => h.pg.query(sql) } as unknown as QueryRunner;
  const snapshot = async () =>
    (
      await h.pg.query<{ row: string }>(
        `SELECT concat_ws(' ', event_id, queue_number, user_id) AS row FROM numbers ORDER BY event_id, queue_number`,
      )
    ).rows.map((r) => r.row);
  const rows = await snapshot();
  expect(rows.length).toBeGreaterThanOrEqual(6);

  await migration.down(q);
  expect(await partitions()).toEqual([]);
  expect(await snapshot()).toEqual(rows);

  await migration.up(q);
  expect(await snapshot()).toEqual(rows);
  const parts = await partitions();
  expect(parts).toContain(numbersPartition(before.eventId));
  expect(parts).toContain(numbersPartition(emptyClosed.eventId)); // closed with no one: late joiners come here
  expect(parts).not.toContain(numbersPartition(open.eventId));
  expect(await indexesOf(numbersPartition(before.eventId))).toEqual([
    'btree (queue_number)',
    'btree (user_id)',
  ]);
  await expect(
    h.pg.query(`INSERT INTO numbers (event_id, queue_number, user_id) VALUES ($1, 1, 'nobody')`, [
      open.eventId,
    ]),
  ).rejects.toThrow(/no partition/);
  // The user index still refuses a second number for one fan.
  await expect(
    h.pg.query(`INSERT INTO numbers (event_id, queue_number, user_id) VALUES ($1, 99, 'm-1')`, [
      before.eventId,
    ]),
  ).rejects.toThrow(/duplicate key/);
});

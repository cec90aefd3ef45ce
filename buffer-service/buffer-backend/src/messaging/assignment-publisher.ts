import {
  envelope,
  lockKeySql,
  queryOne,
  queryRows,
  type Logger,
  type MessageBus,
  type OutgoingMessage,
  type Part,
  type Queryable,
} from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type { RecentDraws } from '../data/recent-draws';

/** Numbers per `queue.assigned` message: ~40 bytes each (a user id) keeps a message well under 1 MB. */
export const ASSIGNMENTS_PER_MESSAGE = 5000;
/** Numbers per publishing transaction (a multiple of the batch, so batches stay aligned). */
const NUMBERS_PER_STEP = 10 * ASSIGNMENTS_PER_MESSAGE;
/** User ids of numbers from+1 … upTo, read from the numbers table (checked contiguous). */
async function readNumbers(db: Queryable, eventId: string, from: number, upTo: number): Promise<string[]> {
  const rows = await queryRows<{ queue_number: number; user_id: string }>(
    db,
    `SELECT queue_number, user_id FROM numbers
     WHERE event_id = $1 AND queue_number > $2 AND queue_number <= $3 ORDER BY queue_number`,
    [eventId, from, upTo],
  );
  if (rows.length !== upTo - from || rows.some((r, i) => r.queue_number !== from + i + 1))
    throw new Error(`event ${eventId}: numbers ${from + 1}..${upTo} are not contiguous`);
  return rows.map((r) => r.user_id);
}

/** Held while one instance publishes an event's numbers, so batches go out once and in order. */
const PUBLISH_LOCK = lockKeySql('buffer.publish', '$1::uuid::text');

/**
 * Publishes `queue.assigned` from the `numbers` table (see the NumbersTable migration for
 * why not through the outbox). Each event's numbers 1..last_number are committed as a
 * contiguous prefix; `published_number` is how far they went out. A step, in one
 * transaction under the event's publish lock: read the next numbers in order, send them
 * in batches (≤ 5,000, buffered and late never mixed), wait for the broker, advance the
 * cursor. A crash between the send and the commit sends that step again, which queue's
 * idempotent consumer absorbs. Any number of instances may run it.
 */
export function assignmentPublisherPart(deps: {
  ds: DataSource;
  bus: MessageBus;
  logger: Logger;
  pollMs?: number;
  /** The draws this instance's closes still hold in memory. */
  recent?: Pick<RecentDraws, 'users' | 'published'>;
}): Part & { nudge(): void; publishDue(): Promise<boolean> } {
  let stopped = true;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let nudged = false;

  /** One step for one event; true when it has more to publish. */
  const step = async (eventId: string): Promise<boolean> => {
    let publishedUpTo = 0;
    const more = await deps.ds.transaction(async (em) => {
      const lock = await queryOne<{ ok: boolean }>(
        em,
        `SELECT pg_try_advisory_xact_lock(${PUBLISH_LOCK}) AS ok`,
        [eventId],
      );
      if (!lock?.ok) return false; // another instance is publishing this event
      const ev = await queryOne<{ published_number: number; last_number: number; total: number | null }>(
        em,
        'SELECT published_number, last_number, total FROM buffer_events WHERE event_id = $1',
        [eventId],
      );
      if (!ev || ev.published_number >= ev.last_number) return false;
      const from = ev.published_number;
      const upTo = Math.min(ev.last_number, from + NUMBERS_PER_STEP);
      // The close this instance just ran still holds them: no need to read back what it wrote.
      const users = deps.recent?.users(eventId, from, upTo) ?? (await readNumbers(em, eventId, from, upTo));
      const total = ev.total ?? 0;
      const messages: OutgoingMessage[] = [];
      for (let i = 0; i < users.length;) {
        const late = from + i + 1 > total;
        let end = Math.min(users.length, i + ASSIGNMENTS_PER_MESSAGE);
        // Batches stay aligned to 1, 5001, …; the last buffered batch ends at total.
        if (!late) end = Math.min(end, total - from);
        const first = from + i + 1;
        messages.push({
          topic: 'queue.assigned',
          envelope: envelope('queue.assigned', {
            eventId,
            late,
            first,
            userIds: users.slice(i, end),
          }),
        });
        i = end;
      }
      await deps.bus.publish(messages);
      await em.query('UPDATE buffer_events SET published_number = $2 WHERE event_id = $1', [eventId, upTo]);
      publishedUpTo = upTo;
      return upTo < ev.last_number;
    });
    if (publishedUpTo) deps.recent?.published(eventId, publishedUpTo);
    return more;
  };

  /** Publishes one step of every event with unpublished numbers; true when there is more. */
  const publishDue = async (): Promise<boolean> => {
    const due = await queryRows<{ event_id: string }>(
      deps.ds,
      'SELECT event_id FROM buffer_events WHERE published_number < last_number LIMIT 100',
    );
    let more = false;
    for (const { event_id } of due) if (await step(event_id)) more = true;
    return more;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });

  const run = async () => {
    while (!stopped) {
      nudged = false;
      let more = false;
      try {
        more = await publishDue();
      } catch (err) {
        deps.logger.warn({ err }, 'publishing queue numbers failed; will retry');
        await sleep(1000);
        continue;
      }
      if (!more && !nudged && !stopped) await sleep(deps.pollMs ?? 1000);
    }
  };

  return {
    name: 'assignment-publisher',
    nudge: () => {
      nudged = true;
      wake?.();
    },
    publishDue,
    start: async () => {
      stopped = false;
      loop = run();
    },
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}

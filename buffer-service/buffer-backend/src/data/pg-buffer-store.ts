import { z } from 'zod';
import { commitmentOf, type DrandChainInfo, type DrawVersion } from '@ticketslave/draw';
import {
  asQueryable,
  claimPerson,
  DEFAULT_JOIN_POW_MAX_NUMBER,
  enqueueMessages,
  envelope,
  KeyedBatcher,
  lockKeySql,
  pgTransaction,
  preparedStatements,
  queryOne,
  queryRows,
  EventStatus,
  type EventSnapshot,
  type Queryable,
} from '@ticketslave/common';
import type { DataSource } from 'typeorm';
import type {
  BufferEvent,
  BufferState,
  BufferStore,
  BeaconRound,
  CloseOutcome,
  DrawnNumbers,
  Entry,
  JoinOutcome,
  SortedEntrants,
} from '../domain/ports';
import { JOINABLE_STATUSES } from '../domain/ports';
import {
  concatClosingEntries,
  copyNumbers,
  drawnUser,
  hashRanges,
  readClosingEntries,
  writeNumbersPartition,
  type ClosingEntries,
} from './close-copy';
import { RecentDraws, type RecentDraw } from './recent-draws';

/** Connections that read a closing event's on-time entrants side by side (prefetchEntrants). */
const CLOSE_READ_PARTS = 2;

interface EventRow {
  event_id: string;
  organiser_id: string;
  status: EventSnapshot['status'];
  starts_at: Date;
  closes_at: Date;
  state: BufferState;
  seed: string;
  salt: string;
  commitment: string;
  draw_version: DrawVersion;
  closed_at: Date | null;
  beacon: string | null;
  beacon_round: string | null;
  beacon_signature: string | null;
  beacon_previous_signature: string | null;
  beacon_chain: DrandChainInfo | null;
  entrants_digest: string | null;
  total: number | null;
  last_number: number;
  published_number: number;
  fairness_etag: string | null;
  join_pow_max_number: number;
}

interface EntryRow {
  event_id: string;
  user_id: string;
  entrant_hash: string;
  joined_at: Date;
  late: boolean;
  queue_number: number | null;
}

const toEvent = (r: EventRow): BufferEvent => ({
  eventId: r.event_id,
  organiserId: r.organiser_id,
  status: r.status,
  startsAt: r.starts_at,
  closesAt: r.closes_at,
  state: r.state,
  seed: r.seed,
  salt: r.salt,
  commitment: r.commitment,
  drawVersion: r.draw_version,
  closedAt: r.closed_at,
  beacon: r.beacon,
  beaconRound: r.beacon_round === null ? null : Number(r.beacon_round),
  beaconSignature: r.beacon_signature,
  beaconPreviousSignature: r.beacon_previous_signature,
  beaconChain: r.beacon_chain,
  entrantsDigest: r.entrants_digest,
  total: r.total,
  lastNumber: r.last_number,
  fairnessEtag: r.fairness_etag,
  joinPowMaxNumber: r.join_pow_max_number,
});

const toEntry = (r: EntryRow): Entry => ({
  eventId: r.event_id,
  userId: r.user_id,
  entrantHash: r.entrant_hash,
  joinedAt: r.joined_at,
  late: r.late,
  queueNumber: r.queue_number,
});

// Joins hold the shared form of this lock and closers the exclusive one, so a join
// commits entirely before or entirely after the moment the buffer closes.
const LOCK_KEY = lockKeySql('buffer.event', '$1::uuid::text');

/** The join batch (sql/join.sql), with the event's lock key. */
export const JOIN_MANY_SQL = `SELECT buffer_join_many($1::uuid, $2::text[], $3::text[], $4::text[], ${LOCK_KEY}) AS joined`;

/** The event row as buffer_join_many answers it (row_to_json: timestamps are ISO strings). */
const EventJson = z.object({
  event_id: z.string(),
  organiser_id: z.string(),
  status: EventStatus,
  starts_at: z.string(),
  closes_at: z.string(),
  state: z.enum(['open', 'closing', 'closed']),
  seed: z.string(),
  salt: z.string(),
  commitment: z.string(),
  draw_version: z.enum(['draw-v1', 'draw-v2']),
  closed_at: z.string().nullable(),
  beacon: z.string().nullable(),
  beacon_round: z.union([z.string(), z.number()]).nullable(),
  beacon_signature: z.string().nullable(),
  beacon_previous_signature: z.string().nullable(),
  // Kept as the chain info the beacon served (checked when it was stored).
  beacon_chain: z.custom<DrandChainInfo>().nullable(),
  entrants_digest: z.string().nullable(),
  total: z.number().int().nullable(),
  last_number: z.number().int(),
  published_number: z.number().int(),
  fairness_etag: z.string().nullable(),
  join_pow_max_number: z.number().int(),
});
/** The entries row as JSON, without its number (that lives in `numbers`). */
const EntryJson = z.object({
  event_id: z.string(),
  user_id: z.string(),
  entrant_hash: z.string(),
  joined_at: z.string(),
  late: z.boolean(),
});
type EntryJson = z.infer<typeof EntryJson>;
/** What buffer_join_many answers. */
const JoinedMany = z.object({
  event: EventJson.nullable(),
  entries: z.array(z.object({ entry: EntryJson, number: z.number().int().nullable(), created: z.boolean() })),
});
/** One fan's share of a batch. */
interface JoinAnswer {
  event: z.infer<typeof EventJson> | null;
  entry: EntryJson | null;
  number: number | null;
  created: boolean;
}
interface PendingJoin {
  userId: string;
  hash: string;
}

/**
 * Join batches per event in flight at once. Joins arriving while one runs wait and go
 * together in the next: under a storm one round trip, lock and commit serve many fans;
 * a lone join goes at once. One in flight makes the batches big: in bench:queue
 * PostgreSQL's CPU per join fell from 0.42–0.46 ms (four in flight, batches of one or
 * two while the event loop was the bottleneck) to 0.20–0.23 ms, and the half-saturation
 * p99 stayed 52–58 ms.
 */
const JOIN_BATCHES_IN_FLIGHT = 1;
const MAX_JOIN_BATCH = 200;

/** An entry with its number, if any (numbers are written once, at the close or a late join). */
const ENTRY_SQL = `SELECT e.event_id, e.user_id, e.entrant_hash, e.joined_at, e.late, n.queue_number
  FROM entries e LEFT JOIN numbers n ON n.event_id = e.event_id AND n.user_id = e.user_id
  WHERE e.event_id = $1 AND e.user_id = $2`;

const eventFromJson = (r: z.infer<typeof EventJson>): BufferEvent =>
  toEvent({
    ...r,
    beacon_round: r.beacon_round === null ? null : String(r.beacon_round),
    starts_at: new Date(r.starts_at),
    closes_at: new Date(r.closes_at),
    closed_at: r.closed_at === null ? null : new Date(r.closed_at),
  });

const entryFromJson = (r: EntryJson, queueNumber: number | null): Entry =>
  toEntry({ ...r, joined_at: new Date(r.joined_at), queue_number: queueNumber });

export class PgBufferStore implements BufferStore {
  /** Each event's salt, made on first sight and never changed, so safe to keep. */
  private readonly salts = new Map<string, string>();
  /** The join batch's statement, prepared once per connection and run without the ORM. */
  private readonly prepared: Queryable;
  /**
   * On-time entrants read ahead of the close (prefetchEntrants), by event. They cannot change
   * once the event is closing, so a read kept here stays right until the close takes it.
   */
  private readonly prefetched = new Map<string, Promise<{ read: ClosingEntries; ms: number } | null>>();
  private readonly joins = new KeyedBatcher<PendingJoin, JoinAnswer>(
    (eventId, batch) => this.sendJoins(eventId, batch),
    {
      maxBatch: MAX_JOIN_BATCH,
      inFlightPerKey: JOIN_BATCHES_IN_FLIGHT,
    },
  );

  /**
   * @param onNumbered told after a commit that wrote numbers (a close, a late join), so
   *   this instance's assignment publisher sends them without waiting for its next poll.
   */
  constructor(
    private readonly ds: DataSource,
    private readonly onNumbered: (eventId: string) => void = () => undefined,
    /** What this instance's closes drew, for the fairness document and the publisher. */
    private readonly recent: RecentDraws = new RecentDraws(),
  ) {
    this.prepared = preparedStatements(ds);
  }

  /** Called inside the consumer's processOnce transaction. */
  async upsertEventIn(
    db: Queryable,
    s: EventSnapshot,
    secrets: () => { seed: string; salt: string },
  ): Promise<void> {
    const { seed, salt } = secrets();
    // The secrets are written only on first sight: a later snapshot never changes a published commitment.
    await db.query(
      `INSERT INTO buffer_events (event_id, version, organiser_id, status, starts_at, sale_starts_at,
         buffer_grace_seconds, closes_at, seed, salt, commitment, join_pow_max_number)
       VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::int, $6::timestamptz + $7::int * interval '1 second', $8, $9, $10, $11)
       ON CONFLICT (event_id) DO UPDATE SET version = EXCLUDED.version, organiser_id = EXCLUDED.organiser_id,
         status = CASE WHEN buffer_events.status = 'cancelled' THEN 'cancelled' ELSE EXCLUDED.status END,
         starts_at = EXCLUDED.starts_at, sale_starts_at = EXCLUDED.sale_starts_at,
         buffer_grace_seconds = EXCLUDED.buffer_grace_seconds, closes_at = EXCLUDED.closes_at,
         join_pow_max_number = EXCLUDED.join_pow_max_number
       WHERE buffer_events.version < EXCLUDED.version`,
      [
        s.eventId,
        s.version,
        s.organiserId,
        s.status,
        s.startsAt,
        s.saleStartsAt,
        s.bufferGraceSeconds,
        seed,
        salt,
        commitmentOf(seed),
        s.queue.joinPowMaxNumber ?? DEFAULT_JOIN_POW_MAX_NUMBER,
      ],
    );
  }

  upsertEvent(s: EventSnapshot, secrets: () => { seed: string; salt: string }): Promise<void> {
    return this.upsertEventIn(this.ds.manager, s, secrets);
  }

  async cancelEventIn(db: Queryable, eventId: string): Promise<void> {
    await db.query(`UPDATE buffer_events SET status = 'cancelled' WHERE event_id = $1`, [eventId]);
  }

  cancelEvent(eventId: string): Promise<void> {
    return this.cancelEventIn(this.ds.manager, eventId);
  }

  async getEvent(eventId: string): Promise<BufferEvent | undefined> {
    const row = await queryOne<EventRow>(this.ds, 'SELECT * FROM buffer_events WHERE event_id = $1', [
      eventId,
    ]);
    return row && toEvent(row);
  }

  claimPerson(eventId: string, person: string, userId: string): Promise<string> {
    return claimPerson(this.ds, 'entry_persons', eventId, person, userId);
  }

  async countEntries(eventId: string): Promise<number> {
    const row = await queryOne<{ n: number }>(
      this.ds,
      'SELECT count(*)::int AS n FROM entries WHERE event_id = $1',
      [eventId],
    );
    return row?.n ?? 0;
  }

  async join(
    eventId: string,
    userId: string,
    check: (event: BufferEvent | undefined) => BufferEvent,
    entrantHashOf: (salt: string) => string,
  ): Promise<JoinOutcome> {
    let salt = this.salts.get(eventId);
    if (salt === undefined) {
      // No event, no entry: refusing here answers the same as the join would.
      salt = ((await this.getEvent(eventId)) ?? check(undefined)).salt;
      this.salts.set(eventId, salt);
    }
    // One round trip per batch: lock, read, insert (sql/join.sql).
    const joined = await this.joinBatched(eventId, userId, entrantHashOf(salt));
    const event = joined.event ? eventFromJson(joined.event) : undefined;
    if (joined.entry)
      return { entry: entryFromJson(joined.entry, joined.number), created: joined.created, event: event! };
    // Refused (throws), or joining after the close: numbered in a transaction of its own.
    return this.joinNumbered(eventId, userId, check, check(event).salt, entrantHashOf);
  }

  private joinBatched(eventId: string, userId: string, hash: string): Promise<JoinAnswer> {
    return this.joins.submit(eventId, { userId, hash });
  }

  private async sendJoins(eventId: string, batch: PendingJoin[]): Promise<JoinAnswer[]> {
    // Sorted and distinct: concurrent batches then insert in one order and cannot deadlock.
    const hashOf = new Map(batch.map((j) => [j.userId, j.hash]));
    const users = [...hashOf.keys()].sort();
    const row = await queryOne<{ joined: unknown }>(this.prepared, JOIN_MANY_SQL, [
      eventId,
      users,
      users.map((u) => hashOf.get(u)!),
      [...JOINABLE_STATUSES],
    ]);
    const { event, entries } = JoinedMany.parse(row?.joined);
    const byUser = new Map(entries.map((e) => [e.entry.user_id, e]));
    return batch.map((j) => {
      const mine = byUser.get(j.userId);
      return {
        event,
        entry: mine?.entry ?? null,
        number: mine?.number ?? null,
        created: mine?.created ?? false,
      };
    });
  }

  /** The general join, run as a transaction; numbers late joiners once the buffer is closed. */
  private async joinNumbered(
    eventId: string,
    userId: string,
    check: (event: BufferEvent | undefined) => BufferEvent,
    salt: string,
    entrantHashOf: (salt: string) => string,
  ): Promise<JoinOutcome> {
    const outcome = await this.joinNumberedTx(eventId, userId, check, salt, entrantHashOf);
    if (outcome.created && outcome.entry.queueNumber !== null) this.onNumbered(eventId);
    return outcome;
  }

  private joinNumberedTx(
    eventId: string,
    userId: string,
    check: (event: BufferEvent | undefined) => BufferEvent,
    salt: string,
    entrantHashOf: (salt: string) => string,
  ): Promise<JoinOutcome> {
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock_shared(${LOCK_KEY})`, [eventId]);
      const first = await queryOne<EventRow>(em, 'SELECT * FROM buffer_events WHERE event_id = $1', [
        eventId,
      ]);
      const existing = await queryOne<EntryRow>(em, ENTRY_SQL, [eventId, userId]);
      if (existing) return { entry: toEntry(existing), created: false, event: toEvent(first!) };
      const event = check(first && toEvent(first));
      // Once closed, late joiners take numbers under the row lock, which also fixes their order.
      if (event.state === 'closed')
        await em.query('SELECT 1 FROM buffer_events WHERE event_id = $1 FOR UPDATE', [eventId]);
      const inserted = await queryOne<EntryRow>(
        em,
        `INSERT INTO entries (event_id, user_id, entrant_hash, late) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING event_id, user_id, entrant_hash, joined_at, late, NULL::int AS queue_number`,
        [eventId, userId, entrantHashOf(salt), event.state !== 'open'],
      );
      if (!inserted) {
        // A concurrent join of the same fan won; theirs is the entry.
        const winner = await queryOne<EntryRow>(em, ENTRY_SQL, [eventId, userId]);
        return { entry: toEntry(winner!), created: false, event };
      }
      if (event.state !== 'closed') return { entry: toEntry(inserted), created: true, event };
      const numbered = await queryOne<{ last_number: number }>(
        em,
        'UPDATE buffer_events SET last_number = last_number + 1 WHERE event_id = $1 RETURNING last_number',
        [eventId],
      );
      const queueNumber = numbered!.last_number;
      // Published on queue.assigned by the assignment publisher, after every number before it.
      await em.query('INSERT INTO numbers (event_id, queue_number, user_id) VALUES ($1, $2, $3)', [
        eventId,
        queueNumber,
        userId,
      ]);
      return { entry: { ...toEntry(inserted), queueNumber }, created: true, event };
    });
  }

  async entryOf(eventId: string, userId: string): Promise<Entry | undefined> {
    const row = await queryOne<EntryRow>(this.ds, ENTRY_SQL, [eventId, userId]);
    return row && toEntry(row);
  }

  async entriesOf(userId: string, now: Date): Promise<Entry[]> {
    const rows = await queryRows<EntryRow>(
      this.ds,
      `SELECT e.event_id, e.user_id, e.entrant_hash, e.joined_at, e.late, n.queue_number
       FROM entries e JOIN buffer_events b ON b.event_id = e.event_id
       LEFT JOIN numbers n ON n.event_id = e.event_id AND n.user_id = e.user_id
       WHERE e.user_id = $1 AND b.status <> 'cancelled' AND b.starts_at > $2
       ORDER BY b.sale_starts_at, e.event_id LIMIT 50`,
      [userId, now],
    );
    return rows.map(toEntry);
  }

  beginClose(eventId: string, now: Date): Promise<boolean> {
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`, [eventId]);
      const won = await queryRows(
        em,
        `UPDATE buffer_events SET state = 'closing', closed_at = $2
         WHERE event_id = $1 AND state = 'open' RETURNING 1`,
        [eventId, now],
      );
      return won.length === 1;
    });
  }

  async pendingCloses(now: Date): Promise<{ eventId: string; state: BufferState }[]> {
    const rows = await queryRows<{ event_id: string; state: BufferState }>(
      this.ds,
      `SELECT event_id, state FROM buffer_events
       WHERE state = 'closing'
          OR (state = 'open' AND closes_at <= $1 AND status IN ('published', 'on_sale', 'sold_out'))
          OR (state = 'closed' AND fairness_etag IS NULL)
       ORDER BY closes_at LIMIT 50`,
      [now],
    );
    return rows.map((r) => ({ eventId: r.event_id, state: r.state }));
  }

  async storeBeacon(eventId: string, round: BeaconRound): Promise<void> {
    // The first closer's round stays: every closer computes the same round and gets the same value.
    await this.ds.query(
      `UPDATE buffer_events SET beacon = $2, beacon_round = $3, beacon_signature = $4,
         beacon_previous_signature = $5, beacon_chain = $6::jsonb
       WHERE event_id = $1 AND state = 'closing' AND beacon IS NULL`,
      [
        eventId,
        round.randomness,
        round.round,
        round.signature,
        round.previous_signature ?? null,
        JSON.stringify(round.chain),
      ],
    );
  }

  /**
   * Starts reading a closing event's on-time entrants outside the close's transaction, so
   * that the read (~2 s at a million entrants) overlaps the wait for the beacon round. Safe:
   * once `beginClose` committed, every join (it holds the event lock shared) is late, and
   * entries are never changed or deleted. A failed read leaves the close to read them itself.
   */
  prefetchEntrants(eventId: string): void {
    if (this.prefetched.has(eventId)) return;
    this.prefetched.set(
      eventId,
      (async () => {
        const started = performance.now();
        // Side by side, one hash range per connection: the index scan's random heap reads
        // are most of a million-entrant read, and two backends do them in ~0.6 of the time.
        const parts = await Promise.all(
          hashRanges(CLOSE_READ_PARTS).map((range) =>
            pgTransaction(this.ds, async (client) => {
              const { rows } = await client.query<{ state: string }>(
                'SELECT state FROM buffer_events WHERE event_id = $1',
                [eventId],
              );
              if (rows[0]?.state !== 'closing') return null;
              await client.query('SET LOCAL jit = off'); // compiling costs more than it saves here
              return readClosingEntries(client, eventId, 'on-time', range);
            }),
          ),
        );
        if (parts.some((p) => p === null)) return null;
        const read = concatClosingEntries(parts as ClosingEntries[]);
        return { read, ms: Math.round(performance.now() - started) };
      })().catch(() => null),
    );
  }

  async completeClose(
    eventId: string,
    draw: (event: BufferEvent, entrants: SortedEntrants) => Promise<DrawnNumbers>,
  ): Promise<CloseOutcome | null> {
    let drawn: RecentDraw | undefined;
    // Awaited before the lock, so late joins are not held up by the read.
    const awaited = performance.now();
    const prefetch = (await this.prefetched.get(eventId)) ?? null;
    // How long the prefetch took, and how much of it the close still waited for after the beacon.
    const readMs = prefetch && {
      prefetch: prefetch.ms,
      awaitedPrefetch: Math.round(performance.now() - awaited),
    };
    const onTime = prefetch?.read ?? null;
    this.prefetched.delete(eventId);
    const outcome = await pgTransaction(this.ds, async (client) => {
      // Exclusive: no join is mid-flight while the late joiners of the closing phase are numbered.
      await client.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`, [eventId]);
      const { rows } = await client.query<EventRow>(
        `SELECT * FROM buffer_events WHERE event_id = $1 AND state = 'closing' AND beacon IS NOT NULL FOR UPDATE`,
        [eventId],
      );
      const row = rows[0];
      if (!row) return null;
      const t0 = performance.now();
      const ms: Record<string, number> = {};
      const lap = (phase: string) => (ms[phase] = Math.round(performance.now() - t0));
      const event = toEvent(row);
      // Nothing is numbered before the close commits (late joins wait for 'closed').
      if ((await client.query('SELECT 1 FROM numbers WHERE event_id = $1 LIMIT 1', [eventId])).rowCount)
        throw new Error(`event ${eventId} is closing but already has numbers`);
      // One read for both groups: the buffered fans, and the late joiners of the closing phase
      // (no one adds to either while the exclusive lock is held). In hash order (the column is
      // COLLATE "C"), which is the draw's sorted list, so the draw does not sort again.
      const read = onTime
        ? { ...onTime, late: (await readClosingEntries(client, eventId, 'late')).late }
        : await readClosingEntries(client, eventId);
      lap(onTime ? 'readLate' : 'read'); // readLate: the on-time entrants were prefetched
      const numbers = await draw(event, read.entrants);
      lap('draw');
      const total = read.entrants.count;
      await writeNumbersPartition(client, eventId, async (table) => {
        await copyNumbers(client, table, eventId, 0, total, drawnUser(read.users, numbers.order));
        await copyNumbers(client, table, eventId, total, read.late.length, (k) => read.late[k]!);
      });
      lap('numbers');
      await client.query(
        `UPDATE buffer_events SET state = 'closed', total = $2, entrants_digest = $3, last_number = $4
         WHERE event_id = $1`,
        [eventId, total, numbers.entrantsDigest, total + read.late.length],
      );
      // The numbers themselves go out on queue.assigned from the numbers table (AssignmentPublisher).
      await enqueueMessages(asQueryable(client), [
        {
          topic: 'buffer.closed',
          envelope: envelope('buffer.closed', {
            eventId,
            total,
            commitment: event.commitment,
            seed: event.seed,
            beacon: event.beacon ?? '',
            entrantsDigest: numbers.entrantsDigest,
          }),
        },
      ]);
      drawn = { entrants: read.entrants, users: read.users, order: numbers.order, late: read.late };
      return { total, lateNumbered: read.late.length, ms: { ...readMs, ...ms } };
    });
    if (outcome && drawn) this.recent.add(eventId, drawn);
    if (outcome) this.onNumbered(eventId);
    return outcome;
  }

  numbersPending(eventId: string): boolean {
    return this.recent.publishing(eventId);
  }

  async storeFairnessEtag(eventId: string, etag: string): Promise<void> {
    await this.ds.query(
      `UPDATE buffer_events SET fairness_etag = $2 WHERE event_id = $1 AND state = 'closed' AND fairness_etag IS NULL`,
      [eventId, etag],
    );
    this.recent.documentStored(eventId);
  }

  async sortedEntrants(eventId: string): Promise<SortedEntrants> {
    const held = this.recent.entrants(eventId);
    if (held) return held;
    return pgTransaction(this.ds, async (client) => (await readClosingEntries(client, eventId)).entrants);
  }
}

import { Client } from 'pg';
import type { DataSource, EntityManager, EntitySubscriberInterface } from 'typeorm';
import type { MessageBus, OutgoingMessage } from '../kafka/bus';
import { messageKey } from '../kafka/topics';
import type { Logger } from '../logger';
import { currentRequestId } from '../logger';
import { lockKeySql } from './locks';
import { sqlLiteral } from './prepared';

/** Anything that can run a query inside the caller's transaction. */
export type Queryable = Pick<EntityManager, 'query'>;

/** Held shared by every transaction writing to a schema's outbox, exclusively by its relay for a moment. */
const writeLockKey = (schemaSql: string) => lockKeySql('kit.outbox-write', schemaSql);

/**
 * Wakes the relay (LISTEN/NOTIFY), for writers that do not NOTIFY inside their
 * transaction: call it after the commit. Without it the relay still finds the rows at
 * its next poll.
 */
export async function notifyOutbox(db: Queryable): Promise<void> {
  await db.query(`SELECT pg_notify(current_schema() || '_outbox', '')`);
}

/**
 * Wakes the outbox relay after commits that did not NOTIFY themselves, coalesced: at most
 * one wake per `minIntervalMs`, covering every commit before it. When this process's own
 * relay leads (`localRelay`), it is woken in memory (no round trip); otherwise one
 * `pg_notify` is sent, outside any transaction. If the process dies before it is sent, the
 * relay's poll finds the rows. Why not NOTIFY in the writer's transaction: a NOTIFY takes a
 * lock at commit that is global to the server and held through the commit's WAL flush, so
 * every notifying transaction of every service's database commits one after another; and
 * every relay round briefly stops the outbox's writers (its write lock), so rounds are
 * spaced rather than one per commit.
 */
export function coalescedOutboxNotify(
  db: Queryable,
  logger: Logger,
  minIntervalMs = 50,
  localRelay?: Pick<OutboxRelay, 'wakeIfLeader'>,
): () => void {
  let scheduled = false;
  let last = 0;
  const send = () => {
    last = Date.now();
    scheduled = false;
    if (localRelay?.wakeIfLeader()) return;
    notifyOutbox(db).catch((err: unknown) => logger.warn({ err }, 'outbox notify failed'));
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(send, Math.max(0, last + minIntervalMs - Date.now())).unref();
  };
}

/** What wakes a DataSource's relay after a commit that wrote to its outbox (`wakeOutboxAfterCommit`). */
const afterCommitWakers = new WeakMap<DataSource, () => void>();
/** Marks a TypeORM transaction (its query runner's `data`) as having written outbox rows. */
const OUTBOX_WRITTEN = 'kit.outboxWritten';

/**
 * From now on, outbox rows written in a TypeORM transaction of `ds` (`ds.transaction`, and
 * `processOnce` on it) wake the relay through `wake` once the transaction has committed,
 * instead of a NOTIFY inside it (see `coalescedOutboxNotify` for why). The service kit
 * registers this for every service. Writes outside such a transaction (a pg client of
 * the pool, a statement in autocommit) still NOTIFY in their statement.
 */
export function wakeOutboxAfterCommit(ds: DataSource, wake: () => void): void {
  const subscribed = afterCommitWakers.has(ds);
  afterCommitWakers.set(ds, wake);
  if (subscribed) return;
  const subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: ({ queryRunner }) => {
      // A savepoint's release reports a commit too: only the outermost one has committed.
      if (!queryRunner.data?.[OUTBOX_WRITTEN] || queryRunner.isTransactionActive) return;
      queryRunner.data[OUTBOX_WRITTEN] = false;
      afterCommitWakers.get(ds)?.();
    },
  };
  // The DataSource's subscriber list is read at every broadcast: one added after
  // initialisation is heard from the next transaction on.
  ds.subscribers.push(subscriber);
}

/**
 * True when `db` is a TypeORM transaction of a DataSource whose relay is woken after commit
 * (then marked, so the wake comes once it commits): its writes need no NOTIFY.
 */
function wakesAfterCommit(db: Queryable): boolean {
  const runner = (db as Partial<EntityManager>).queryRunner;
  if (!runner?.isTransactionActive || !afterCommitWakers.has(runner.connection)) return false;
  runner.data = { ...runner.data, [OUTBOX_WRITTEN]: true };
  return true;
}

/**
 * Records messages in the service's outbox, inside the caller's transaction: they
 * are published if and only if the transaction commits. The shared write lock lets
 * the relay wait for in-flight writers (see OutboxRelay). The relay is woken after the
 * commit where the kit arranged it (`wakeOutboxAfterCommit`); otherwise by a NOTIFY in
 * the statement, which is transactional, so the relay wakes exactly when the rows become
 * visible. `notify: false` leaves the NOTIFY out, for a hot path that wakes the relay
 * after its commit itself (`coalescedOutboxNotify`).
 *
 * One statement: the lock is in a one-row subquery joined to the rows, so it is taken
 * before the first row is produced, and hence before any row draws its sequence number.
 */
export async function enqueueMessages(
  db: Queryable,
  messages: OutgoingMessage[],
  opts: { notify?: boolean } = {},
): Promise<void> {
  if (messages.length === 0) return;
  const notify = opts.notify !== false && !wakesAfterCommit(db);
  await db.query(enqueueSql(['$1', '$2', '$3', '$4'], { notify }), outboxColumns(messages));
}

/**
 * `enqueueMessages` as one statement's text with its values inlined, for a transaction sent
 * as simple queries (`pgTransactionInTwo`); null when there is nothing to enqueue.
 */
export function enqueueMessagesSql(
  messages: OutgoingMessage[],
  opts: { notify?: boolean } = {},
): string | null {
  if (messages.length === 0) return null;
  return enqueueSql(outboxColumns(messages).map(sqlLiteral), opts);
}

function enqueueSql(args: string[], opts: { notify?: boolean }): string {
  const notify = opts.notify === false ? '' : `, pg_notify(current_schema() || '_outbox', '')`;
  return `INSERT INTO outbox (topic, msg_key, envelope, headers)
     SELECT t, k, e, h FROM unnest(${args[0]}::text[], ${args[1]}::text[], ${args[2]}::jsonb[], ${args[3]}::jsonb[]) AS x(t, k, e, h),
       (SELECT pg_advisory_xact_lock_shared(${writeLockKey('current_schema()')})${notify}) AS locked`;
}

function outboxColumns(messages: OutgoingMessage[]): string[][] {
  const requestId = currentRequestId();
  return [
    messages.map((m) => m.topic),
    // What the bus will key it by (it derives the key again when publishing): for readers of the table.
    messages.map((m) => messageKey(m.topic, m.envelope.payload)),
    messages.map((m) => JSON.stringify(m.envelope)),
    messages.map((m) =>
      JSON.stringify({ ...(requestId ? { 'x-request-id': requestId } : {}), ...m.headers }),
    ),
  ];
}

interface OutboxRow {
  seq: string;
  topic: OutgoingMessage['topic'];
  envelope: OutgoingMessage['envelope'];
  headers: Record<string, string>;
}

/**
 * Publishes the outbox. One relay per service holds a session advisory lock (the
 * lease); the others wait for it. Before each round the relay takes the outbox's
 * write lock exclusively for an instant: every writer holds it shared until commit,
 * so once it is granted no writer is in flight and every sequence number up to the
 * current maximum is settled. Publishing only up to that bound, in sequence order,
 * means a row committed late can never be overtaken by a higher sequence number.
 * (An xmin horizon would do the same but is cluster-wide: any long transaction in
 * any database of the server would stall every service's outbox.)
 */
export class OutboxRelay {
  private client: Client | null = null;
  private running = false;
  private leader = false;
  private wake: (() => void) | null = null;
  /** A notification came while no sleep was waiting for one: the next sleep returns at once. */
  private notified = false;
  private loop: Promise<void> | null = null;
  published = 0;

  constructor(
    private readonly opts: {
      databaseUrl: string;
      schema: string;
      bus: MessageBus;
      logger: Logger;
      batchSize?: number;
      pollMs?: number;
    },
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /**
   * Wakes this relay as a notification would, when it is the leader (answers true); a writer
   * in the leader's process then needs no NOTIFY, which is a round trip to PostgreSQL. False
   * when another instance leads: notify then.
   */
  wakeIfLeader(): boolean {
    if (!this.leader) return false;
    this.notified = true;
    this.wake?.();
    return true;
  }

  start(): Promise<void> {
    this.running = true;
    this.loop = this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.opts.databaseUrl,
      application_name: `${this.opts.schema}-outbox`,
    });
    client.on('error', (err) => {
      this.opts.logger.warn({ err }, 'outbox relay connection error');
      this.leader = false;
      this.wake?.();
    });
    client.on('notification', () => {
      this.notified = true;
      this.wake?.();
    });
    await client.connect();
    await client.query(`SET search_path TO "${this.opts.schema}", public`);
    return client;
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    // A round a notification started has rows to publish (a writer committed some); a poll's
    // round first asks whether there are any, so an idle relay never takes the write lock.
    let notified = false;
    while (this.running) {
      try {
        if (!this.client || !this.leader) {
          await this.client?.end().catch(() => undefined);
          this.client = await this.connect();
          const { rows } = await this.client.query<{ ok: boolean }>(
            `SELECT pg_try_advisory_lock(${lockKeySql('kit.outbox-relay', '$1')}) AS ok`,
            [this.opts.schema],
          );
          this.leader = rows[0]?.ok === true;
          if (this.leader) await this.client.query(`LISTEN "${this.opts.schema}_outbox"`);
          else {
            await this.client.end();
            this.client = null;
            await this.sleep(pollMs * 2);
            continue;
          }
        }
        await this.drain(this.client, !notified);
        notified = await this.sleep(pollMs);
      } catch (err) {
        this.opts.logger.warn({ err }, 'outbox relay failed, will retry');
        this.leader = false;
        notified = false;
        await this.sleep(Math.max(pollMs, 1000));
      }
    }
    await this.client?.end().catch(() => undefined);
    this.client = null;
    this.leader = false;
  }

  /**
   * The highest settled sequence number and the outbox's first rows up to it, in one round
   * trip; null when the outbox is empty, 'busy' when writers hold on.
   */
  private async horizon(
    client: Client,
    batchSize: number,
  ): Promise<{ bound: string; rows: OutboxRow[] } | null | 'busy'> {
    try {
      // One round trip (a multi-statement simple query), so the exclusive lock is held
      // only while the server runs it, never across a round trip to this process (whose
      // event loop may be busy): writers queue behind it while we wait for it. The
      // lock_timeout is short for the same reason. The first rows are read after COMMIT
      // (the lock released; a read under it could wait on this process taking the rows), in
      // a snapshot that may hold rows past the bound: those are left for the next round.
      const results = (await client.query(
        `BEGIN; SET LOCAL lock_timeout = '1s';
         SELECT pg_advisory_xact_lock(${writeLockKey(client.escapeLiteral(this.opts.schema))});
         SELECT max(seq)::text AS bound FROM outbox; COMMIT;
         SELECT seq::text, topic, envelope, headers FROM outbox ORDER BY seq LIMIT ${Number(batchSize)}`,
      )) as unknown as { rows: Record<string, unknown>[] }[];
      const bound = results[3]?.rows[0]?.bound as string | null | undefined;
      if (!bound) return null;
      const rows = (results[5]?.rows ?? []) as unknown as OutboxRow[];
      return { bound, rows: rows.filter((r) => BigInt(r.seq) <= BigInt(bound)) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code === '55P03') return 'busy';
      throw err;
    }
  }

  /**
   * Publishes everything settled at this round's horizon. `probe`: first ask whether the
   * outbox has any row (a poll's round), so an idle relay never takes the write lock.
   */
  private async drain(client: Client, probe: boolean): Promise<void> {
    const batchSize = this.opts.batchSize ?? 500;
    if (probe) {
      const { rows: any } = await client.query<{ seq: string }>('SELECT seq FROM outbox LIMIT 1');
      if (any.length === 0) return;
    }
    const horizon = await this.horizon(client, batchSize);
    if (horizon === null || horizon === 'busy') return;
    let rows = horizon.rows;
    for (;;) {
      if (rows.length === 0) return;
      await this.opts.bus.publish(
        rows.map((r) => ({ topic: r.topic, envelope: r.envelope, headers: r.headers })),
      );
      await client.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      this.published += rows.length;
      // Fewer than a batch: every settled row was in it (the rows are in sequence order).
      if (rows.length < batchSize) return;
      ({ rows } = await client.query<OutboxRow>(
        `SELECT seq, topic, envelope, headers FROM outbox WHERE seq <= $1 ORDER BY seq LIMIT $2`,
        [horizon.bound, batchSize],
      ));
    }
  }

  /** Waits `ms` or for a notification; answers whether a notification ended it. */
  private sleep(ms: number): Promise<boolean> {
    if (!this.running) return Promise.resolve(false);
    if (this.notified) {
      this.notified = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (notified: boolean) => {
        clearTimeout(timer);
        this.wake = null;
        this.notified = false;
        resolve(notified);
      };
      this.wake = () => done(true);
    });
  }
}
/**
 * Runs `fn` once per (consumer, message id): the processed id is recorded in the
 * same transaction as the effect, so a redelivered message changes nothing.
 * Returns false when the message had already been processed.
 */
export async function processOnce(
  ds: DataSource,
  consumer: string,
  messageId: string,
  fn: (em: EntityManager) => Promise<void>,
): Promise<boolean> {
  return ds.transaction(async (em) => {
    const inserted = await em.query(
      `INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [consumer, messageId],
    );
    if ((inserted as unknown[]).length === 0) return false;
    await fn(em);
    return true;
  });
}

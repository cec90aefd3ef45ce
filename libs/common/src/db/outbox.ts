import { Client } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { MessageBus, OutgoingMessage } from '../kafka/bus';
import { messageKey } from '../kafka/topics';
import type { Logger } from '../logger';
import { currentRequestId } from '../logger';
import { lockKeySql } from './locks';

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
 * Records messages in the service's outbox, inside the caller's transaction: they
 * are published if and only if the transaction commits. The shared write lock lets
 * the relay wait for in-flight writers (see OutboxRelay); NOTIFY is transactional,
 * so the relay wakes exactly when the rows become visible. `notify: false` leaves the
 * NOTIFY out, for a hot path that wakes the relay after its commit (see notifyOutbox).
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
  const requestId = currentRequestId();
  const notify = opts.notify === false ? '' : `, pg_notify(current_schema() || '_outbox', '')`;
  await db.query(
    `INSERT INTO outbox (topic, msg_key, envelope, headers)
     SELECT t, k, e, h FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::jsonb[]) AS x(t, k, e, h),
       (SELECT pg_advisory_xact_lock_shared(${writeLockKey('current_schema()')})${notify}) AS locked`,
    [
      messages.map((m) => m.topic),
      // What the bus will key it by (it derives the key again when publishing): for readers of the table.
      messages.map((m) => messageKey(m.topic, m.envelope.payload)),
      messages.map((m) => JSON.stringify(m.envelope)),
      messages.map((m) =>
        JSON.stringify({ ...(requestId ? { 'x-request-id': requestId } : {}), ...m.headers }),
      ),
    ],
  );
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
    client.on('notification', () => this.wake?.());
    await client.connect();
    await client.query(`SET search_path TO "${this.opts.schema}", public`);
    return client;
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
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
        const drained = await this.drain(this.client);
        if (drained) await this.sleep(pollMs);
      } catch (err) {
        this.opts.logger.warn({ err }, 'outbox relay failed, will retry');
        this.leader = false;
        await this.sleep(Math.max(pollMs, 1000));
      }
    }
    await this.client?.end().catch(() => undefined);
    this.client = null;
    this.leader = false;
  }

  /** The highest settled sequence number, null when the outbox is empty, 'busy' when writers hold on. */
  private async horizon(client: Client): Promise<{ bound: string } | null | 'busy'> {
    const { rows: any } = await client.query<{ seq: string }>('SELECT seq FROM outbox LIMIT 1');
    if (any.length === 0) return null;
    try {
      // One round trip (a multi-statement simple query), so the exclusive lock is held
      // only while the server runs it, never across a round trip to this process (whose
      // event loop may be busy): writers queue behind it while we wait for it. The
      // lock_timeout is short for the same reason.
      const results = (await client.query(
        `BEGIN; SET LOCAL lock_timeout = '1s';
         SELECT pg_advisory_xact_lock(${writeLockKey(client.escapeLiteral(this.opts.schema))});
         SELECT max(seq)::text AS bound FROM outbox; COMMIT`,
      )) as unknown as { rows: { bound?: string | null }[] }[];
      const bound = results[3]?.rows[0]?.bound;
      return bound ? { bound } : null;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if ((err as { code?: string }).code === '55P03') return 'busy';
      throw err;
    }
  }

  /** Publishes everything settled; returns true when there is nothing more to do now. */
  private async drain(client: Client): Promise<boolean> {
    const batchSize = this.opts.batchSize ?? 500;
    const horizon = await this.horizon(client);
    if (horizon === null || horizon === 'busy') return true;
    for (;;) {
      const { rows } = await client.query<OutboxRow>(
        `SELECT seq, topic, envelope, headers FROM outbox WHERE seq <= $1 ORDER BY seq LIMIT $2`,
        [horizon.bound, batchSize],
      );
      if (rows.length === 0) return true;
      await this.opts.bus.publish(
        rows.map((r) => ({ topic: r.topic, envelope: r.envelope, headers: r.headers })),
      );
      await client.query('DELETE FROM outbox WHERE seq = ANY($1::bigint[])', [rows.map((r) => r.seq)]);
      this.published += rows.length;
      if (rows.length < batchSize) return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
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

import type { Client } from 'pg';

/**
 * Tables a refused request may write by design, left out of "nothing written":
 * `rate_limits` counts every request, refused ones included (that is what throttling is);
 * `spent_challenges` records a proof of work as used the moment it is redeemed, before the
 * rest of the request is decided, so a replayed proof is refused whatever happened next.
 */
export const WRITTEN_BY_DESIGN = new Set(['rate_limits', 'spent_challenges']);

/**
 * Tables only Kafka consumers write, on other services' messages, at any moment (another
 * service's accepted input, a periodic snapshot): never a request. A refusal that made a
 * message would show in its own schema's `outbox`, which is compared.
 */
export const WRITTEN_BY_CONSUMERS: Record<string, string[]> = {
  feed: ['processed_messages', 'event_stats'],
  buffer: ['processed_messages'],
  queue: ['processed_messages'],
  purchase: ['processed_messages', 'organisations', 'organisation_members'],
  payment: ['processed_messages'],
};

/** A digest per table of a schema (row count and the sum of its rows' hashes): equal digests, same rows. */
export class SchemaChecksum {
  private sql: string | undefined;
  /** The digest after the last refused request: the next request's "before", saving a read. */
  private known: Map<string, string> | undefined;

  constructor(
    private readonly pg: Client,
    readonly schema: string,
  ) {}

  private async query(): Promise<string> {
    if (this.sql) return this.sql;
    const { rows } = await this.pg.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`,
      [this.schema],
    );
    const skip = new Set([...WRITTEN_BY_DESIGN, ...(WRITTEN_BY_CONSUMERS[this.schema] ?? [])]);
    const tables = rows.map((r) => r.table_name).filter((t) => !skip.has(t));
    this.sql = tables
      .map(
        (t) =>
          // A sum of row hashes: independent of row order, so no sort (a read per input stays cheap).
          `SELECT '${t}' AS t, count(*)::int AS n, coalesce(sum(hashtextextended(x::text, 0)), 0)::text AS d
           FROM "${this.schema}"."${t}" x`,
      )
      .join(' UNION ALL ');
    return this.sql;
  }

  /** `table → rows:digest` of every table of the schema. */
  async take(): Promise<Map<string, string>> {
    const { rows } = await this.pg.query<{ t: string; n: number; d: string }>(await this.query());
    return new Map(rows.map((r) => [r.t, `${r.n}:${r.d}`]));
  }

  /** The digest before a request: the one taken after the last refusal, if nothing may have written since. */
  async before(): Promise<Map<string, string>> {
    return this.known ?? (await this.take());
  }

  /** The digest after a refusal, kept as the next request's "before". */
  async afterRefusal(): Promise<Map<string, string>> {
    this.known = await this.take();
    return this.known;
  }

  /** A request was accepted (it may write): the next one reads its own "before". */
  forget(): void {
    this.known = undefined;
  }

  /**
   * Waits until the schema stops changing (two digests 150 ms apart agree, at most 5 s): an
   * accepted request may go on writing after its answer (a buffer's close runs on), and
   * that must not be taken for the next, refused, input's doing.
   */
  async settle(until?: { sql: string }): Promise<void> {
    // Work known to run on after the answer: wait for it to end first (at most 60 s).
    for (const end = Date.now() + 60_000; until && Date.now() < end;) {
      if (((await this.pg.query(until.sql)).rowCount ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    let previous = [...(await this.take())].join();
    for (const until = Date.now() + 5000; Date.now() < until;) {
      await new Promise((r) => setTimeout(r, 150));
      const now = [...(await this.take())].join();
      if (now === previous) return;
      previous = now;
    }
  }

  /** Tables whose contents differ between two digests. */
  static changed(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...after.keys()].filter((t) => before.get(t) !== after.get(t));
  }
}

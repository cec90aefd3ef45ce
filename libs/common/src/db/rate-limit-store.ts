import type { DataSource } from 'typeorm';
import { KeyedBatcher } from './batcher';
import { preparedStatements, type PreparedStatements } from './prepared';
import { queryOne, queryRows } from './query';

/** A limit: `capacity` requests at once, refilling `refillPerSecond`. */
export interface RateRule {
  /** Names the bucket family; two rules with the same name share buckets. */
  name: string;
  capacity: number;
  refillPerSecond: number;
}

/** The `rate_limits` kit table: unlogged (a crash may forget who was throttled, never anything else). */
export const RATE_LIMITS_SQL = `
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits (
  bucket     text PRIMARY KEY,
  -- GCRA's theoretical arrival time: the bucket is full again at tat, empty at tat - limit.
  tat        timestamptz NOT NULL,
  -- The last update's request, so ON CONFLICT can read it (EXCLUDED holds only columns).
  requested  int NOT NULL,
  granted    int NOT NULL,
  interval_s double precision NOT NULL,
  limit_s    double precision NOT NULL
);
`;

/**
 * The kit's SQL function behind every take (applied to each service's schema by `migrate`,
 * beside the service's own functions). One call takes a batch of requests, each from one or
 * more buckets, all or nothing per request: a request is granted when every one of its
 * buckets has its cost, and then takes from all of them; refused, it takes from none and
 * answers the longest of its buckets' waits. Requests are served in the batch's order.
 *
 * Every bucket of the batch is locked first, in sorted order (no deadlock between batches of
 * instances sharing the database): an upsert that creates a missing bucket full and returns
 * how far ahead each one is. The loop then decides in memory, and one UPDATE writes what was
 * taken. GCRA (the generic cell rate algorithm) keeps one timestamp per bucket: a request
 * fits when it leaves `tat - now` at most `limit_s`, `now` read once the locks are held.
 *
 * Arguments: the batch's distinct buckets with their interval and limit (seconds), then one
 * entry per (request, bucket) take, grouped by request in the batch's order: the request's
 * number (1-based), the bucket's position in the first arrays, the cost in tokens. Answers,
 * per request, 0 when granted, else the seconds until it would be.
 */
export const RATE_LIMIT_FUNCTIONS_SQL = `
CREATE OR REPLACE FUNCTION kit_rate_limit_take(
  p_bucket text[], p_interval float8[], p_limit float8[],
  p_take_request int[], p_take_bucket int[], p_take_cost int[]
) RETURNS float8[] LANGUAGE plpgsql AS $fn$
DECLARE
  v_tat timestamptz[];
  v_now timestamptz;
  v_ahead float8[];
  v_asked int[] := array_fill(0, ARRAY[cardinality(p_bucket)]);
  v_granted int[] := array_fill(0, ARRAY[cardinality(p_bucket)]);
  v_wait float8[] := array_fill(0::float8, ARRAY[coalesce(p_take_request[cardinality(p_take_request)], 0)]);
  v_n int := cardinality(p_take_request);
  v_w float8;
  i int := 1;
  j int;
  k int;
  b int;
BEGIN
  WITH locked AS (
    INSERT INTO rate_limits AS r (bucket, tat, requested, granted, interval_s, limit_s)
    SELECT q.bucket, now(), 0, 0, q.interval_s, q.limit_s
    FROM unnest(p_bucket, p_interval, p_limit) AS q(bucket, interval_s, limit_s)
    ORDER BY q.bucket
    ON CONFLICT (bucket) DO UPDATE SET interval_s = EXCLUDED.interval_s, limit_s = EXCLUDED.limit_s
    RETURNING r.bucket, r.tat
  )
  SELECT array_agg(l.tat ORDER BY q.n) INTO v_tat
  FROM unnest(p_bucket) WITH ORDINALITY AS q(bucket, n) JOIN locked l ON l.bucket = q.bucket;
  -- Measured from now that every bucket is locked, not from now() (when the transaction
  -- began): a batch that waited for another instance's lock would otherwise count the time it
  -- waited as tokens taken, and refuse a request the bucket has room for.
  v_now := clock_timestamp();
  SELECT array_agg(greatest(0, extract(epoch FROM t - v_now))::float8 ORDER BY n) INTO v_ahead
  FROM unnest(v_tat) WITH ORDINALITY AS x(t, n);

  WHILE i <= v_n LOOP
    -- The takes i .. j-1 are one request's.
    j := i;
    v_w := 0;
    WHILE j <= v_n AND p_take_request[j] = p_take_request[i] LOOP
      b := p_take_bucket[j];
      v_asked[b] := v_asked[b] + p_take_cost[j];
      v_w := greatest(v_w, v_ahead[b] + p_take_cost[j] * p_interval[b] - p_limit[b]);
      j := j + 1;
    END LOOP;
    IF v_w <= 1e-9 THEN
      FOR k IN i .. j - 1 LOOP
        b := p_take_bucket[k];
        v_ahead[b] := v_ahead[b] + p_take_cost[k] * p_interval[b];
        v_granted[b] := v_granted[b] + p_take_cost[k];
      END LOOP;
    ELSE
      v_wait[p_take_request[i]] := v_w;
    END IF;
    i := j;
  END LOOP;

  UPDATE rate_limits r
  SET tat = v_now + make_interval(secs => u.ahead_s), requested = u.asked, granted = u.granted
  FROM unnest(p_bucket, v_ahead, v_asked, v_granted) AS u(bucket, ahead_s, asked, granted)
  WHERE r.bucket = u.bucket AND u.granted > 0;
  RETURN v_wait;
END
$fn$;
`;

const TAKE_SQL = `SELECT kit_rate_limit_take($1::text[], $2::float8[], $3::float8[], $4::int[], $5::int[], $6::int[]) AS waits`;

interface Take {
  bucket: string;
  cost: number;
  intervalS: number;
  limitS: number;
}

/** One bucket of a request that takes from several at once. */
export interface RateCheck {
  rule: RateRule;
  key: string;
  /** Tokens (1 unless told). */
  cost?: number;
}

const SWEEP_EVERY_MS = 60_000;
const MAX_BATCH = 2000;

/**
 * Rate limits shared by every instance of a service: token buckets in its schema's
 * `rate_limits` table. Checks that arrive while a batch is at the database go together
 * in the next one (`KeyedBatcher`), so a join storm costs one round trip per batch,
 * not one per request. Buckets idle for a minute past full are swept.
 */
export class RateLimitStore {
  private readonly batcher: KeyedBatcher<Take[], number>;
  /**
   * TAKE_SQL as a named prepared statement on the pool, not through the ORM: every hold and
   * join takes tokens, and as an unnamed statement each batch was parsed and planned again
   * (planning this INSERT … ON CONFLICT costs more than running it). PostgreSQL CPU per batch
   * of 6 takes fell from 1.3–1.8 to 0.5–0.6 ms (2026-12-07, machine at load ~16).
   */
  private readonly prepared: PreparedStatements;
  private lastSweep = Date.now();

  constructor(private readonly ds: DataSource) {
    this.prepared = preparedStatements(ds);
    this.batcher = new KeyedBatcher((_k, items) => this.run(items), {
      maxBatch: MAX_BATCH,
      inFlightPerKey: 2,
    });
  }

  /**
   * Takes `cost` tokens from `rule`'s bucket for `key`; answers 0 when granted, else the
   * seconds until they would be (nothing is taken then).
   */
  take(rule: RateRule, key: string, cost = 1): Promise<number> {
    return this.takeAll([{ rule, key, cost }]);
  }

  /**
   * Takes from every bucket of `checks` at once, in one round trip: all or nothing. Answers 0
   * when every bucket had its tokens (then taken from each), else the longest of their
   * waits in seconds, and nothing is taken from any of them.
   */
  takeAll(checks: RateCheck[]): Promise<number> {
    const takes = new Map<string, Take>();
    for (const c of checks) {
      const bucket = `${c.rule.name}:${c.key}`;
      const intervalS = 1 / c.rule.refillPerSecond;
      const t = takes.get(bucket);
      if (t) t.cost += c.cost ?? 1;
      else takes.set(bucket, { bucket, cost: c.cost ?? 1, intervalS, limitS: c.rule.capacity * intervalS });
    }
    if (takes.size === 0) return Promise.resolve(0);
    return this.batcher.submit('all', [...takes.values()]);
  }

  /** Seconds until one token of every bucket would be granted (0: now), taking nothing. */
  async wait(checks: { rule: RateRule; key: string }[]): Promise<number> {
    const buckets = checks.map((c) => `${c.rule.name}:${c.key}`);
    const rows = await queryRows<{ bucket: string; ahead_s: number }>(
      this.ds,
      `SELECT bucket, extract(epoch FROM tat - now())::float8 AS ahead_s FROM rate_limits WHERE bucket = ANY ($1)`,
      [buckets],
    );
    const ahead = new Map(rows.map((r) => [r.bucket, r.ahead_s]));
    return Math.max(
      0,
      ...checks.map((c, i) => {
        const intervalS = 1 / c.rule.refillPerSecond;
        return waitFor(ahead.get(buckets[i]!) ?? 0, c.rule.capacity * intervalS, intervalS);
      }),
    );
  }

  private async run(requests: Take[][]): Promise<number[]> {
    const index = new Map<string, number>();
    const buckets: Take[] = [];
    const takeRequest: number[] = [];
    const takeBucket: number[] = [];
    const takeCost: number[] = [];
    requests.forEach((takes, r) => {
      for (const t of takes) {
        let b = index.get(t.bucket);
        if (b === undefined) {
          buckets.push(t);
          b = buckets.length;
          index.set(t.bucket, b);
        }
        takeRequest.push(r + 1);
        takeBucket.push(b);
        takeCost.push(t.cost);
      }
    });
    const row = await queryOne<{ waits: number[] }>(this.prepared, TAKE_SQL, [
      buckets.map((b) => b.bucket),
      buckets.map((b) => b.intervalS),
      buckets.map((b) => b.limitS),
      takeRequest,
      takeBucket,
      takeCost,
    ]);
    this.sweepNow();
    return requests.map((_, r) => {
      const wait = row!.waits[r]!;
      return wait <= 1e-9 ? 0 : Math.max(1, Math.ceil(wait));
    });
  }

  private sweepNow(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.ds.query(`DELETE FROM rate_limits WHERE tat < now() - interval '1 minute'`).catch(() => undefined); // the next sweep retries; a stale row only means a full bucket
  }
}

/** Whole seconds (at least 1) until a request costing `costS` fits under `limitS`, or 0. */
function waitFor(aheadS: number, limitS: number, costS: number): number {
  const wait = aheadS + costS - limitS;
  return wait <= 1e-9 ? 0 : Math.max(1, Math.ceil(wait));
}

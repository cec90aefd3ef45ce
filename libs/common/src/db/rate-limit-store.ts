import type { DataSource } from 'typeorm';
import { KeyedBatcher } from './batcher';
import { queryRows } from './query';

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

// How many tokens fit, given the bucket's tat (NULL for a new bucket), as one SQL expression.
const FITTING = (tat: string, req: string) =>
  `least(${req}.requested, greatest(0, floor((${req}.limit_s - greatest(0, extract(epoch FROM ${tat} - now()))) / ${req}.interval_s + 1e-9)))::int`;

/**
 * One statement for a batch of buckets: each bucket's tokens are taken under its row lock,
 * so instances sharing the database share the limit exactly. Buckets are locked in sorted
 * order (no deadlock between batches). GCRA (the generic cell rate algorithm) keeps one
 * timestamp per bucket: a request fits when it leaves `tat - now` at most `limit_s`.
 */
const TAKE_SQL = `
INSERT INTO rate_limits AS r (bucket, tat, requested, granted, interval_s, limit_s)
SELECT x.bucket, now() + make_interval(secs => x.fit * x.interval_s), x.requested, x.fit, x.interval_s, x.limit_s
FROM (
  SELECT q.*, ${FITTING('NULL::timestamptz', 'q')} AS fit
  FROM unnest($1::text[], $2::int[], $3::float8[], $4::float8[]) AS q(bucket, requested, interval_s, limit_s)
) x
ORDER BY x.bucket
ON CONFLICT (bucket) DO UPDATE SET
  granted = ${FITTING('r.tat', 'EXCLUDED')},
  tat = greatest(r.tat, now()) + make_interval(secs => ${FITTING('r.tat', 'EXCLUDED')} * EXCLUDED.interval_s),
  requested = EXCLUDED.requested,
  interval_s = EXCLUDED.interval_s,
  limit_s = EXCLUDED.limit_s
RETURNING bucket, granted, extract(epoch FROM tat - now())::float8 AS ahead_s`;

interface Take {
  bucket: string;
  cost: number;
  intervalS: number;
  limitS: number;
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
  private readonly batcher: KeyedBatcher<Take, number>;
  private lastSweep = Date.now();

  constructor(private readonly ds: DataSource) {
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
    const intervalS = 1 / rule.refillPerSecond;
    return this.batcher.submit('all', {
      bucket: `${rule.name}:${key}`,
      cost,
      intervalS,
      limitS: rule.capacity * intervalS,
    });
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

  private async run(items: Take[]): Promise<number[]> {
    // One row per bucket (ON CONFLICT may touch a row once per statement); requests of one
    // bucket are granted in arrival order, as many as fit.
    const byBucket = new Map<string, { cost: number; intervalS: number; limitS: number }>();
    for (const t of items) {
      const b = byBucket.get(t.bucket);
      if (b) b.cost += t.cost;
      else byBucket.set(t.bucket, { cost: t.cost, intervalS: t.intervalS, limitS: t.limitS });
    }
    const buckets = [...byBucket.keys()];
    const rows = await queryRows<{ bucket: string; granted: number; ahead_s: number }>(this.ds, TAKE_SQL, [
      buckets,
      buckets.map((b) => byBucket.get(b)!.cost),
      buckets.map((b) => byBucket.get(b)!.intervalS),
      buckets.map((b) => byBucket.get(b)!.limitS),
    ]);
    const left = new Map(rows.map((r) => [r.bucket, { granted: r.granted, aheadS: r.ahead_s }]));
    this.sweepNow();
    return items.map((t) => {
      const b = left.get(t.bucket)!;
      if (b.granted >= t.cost) {
        b.granted -= t.cost;
        return 0;
      }
      b.granted = 0; // later requests of this bucket in the batch do not jump the queue
      return waitFor(b.aheadS, t.limitS, t.cost * t.intervalS);
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

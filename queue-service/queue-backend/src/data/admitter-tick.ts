import { lockKeySql, queryOne, queryRows, type Payload, type Queryable } from '@ticketslave/common';
import {
  admissionBudget,
  claimBy,
  claimSeconds,
  parkedLapseSlackSeconds,
  FIRST_HOLD_SECONDS,
  measuredRate,
  nearTurnAhead,
  PRESENCE_STALE_SECONDS,
  refill,
  saleHasStarted,
} from '../domain/admission-rules';
import { notifyFans, type FanSignal } from './fan-signals-sql';
import { markNearTurnMails } from './near-turn-store';

/**
 * A gap between two ticks longer than this (or than four tick intervals) is an outage of
 * the admitter, not scheduling jitter.
 */
const STALL_TOLERANCE_SECONDS = 2;

/**
 * Fans get `queue.progress` at least this often. Publishing once "a second has passed"
 * gave gaps of a second plus part of a tick, and every few seconds a second without
 * progress; now a tick publishes on every k-th tick slot, k the most whole ticks that fit
 * in the gap less PROGRESS_DELIVERY_MS for the broker, the relay and the broadcast to
 * 15,000 sockets. With fixed-rate 300 ms ticks progress goes out every 0.9 s.
 */
export const PROGRESS_MAX_GAP_MS = 1000;
const PROGRESS_DELIVERY_MS = 100;
/** QUEUE_TICK_MS's default. */
export const DEFAULT_TICK_MS = 300;

/**
 * Whether this tick publishes progress, `sinceMs` after the last one (null: none yet).
 * The threshold sits half a tick before the k-th slot, so a tick started late or early
 * by less than half a tick still publishes on its slot.
 */
export function progressDue(sinceMs: number | null, tickMs: number): boolean {
  if (sinceMs === null) return true;
  const k = Math.max(1, Math.floor((PROGRESS_MAX_GAP_MS - PROGRESS_DELIVERY_MS) / tickMs));
  return sinceMs >= (k - 0.5) * tickMs;
}

export interface TickOptions {
  minClaimSeconds: number;
  /** The admitter's tick interval (QUEUE_TICK_MS); longer gaps than a few of them are outages. */
  tickMs?: number;
  /** QUEUE_NEAR_TURN_LEAD_SECONDS: how early an opted-in fan is mailed that their turn is near. */
  nearTurnLeadSeconds?: number;
  /** Tests switch the lock off to prove the row guard alone keeps admission correct. */
  skipLock?: boolean;
}

export interface TickResult {
  turned: { userId: string; queueNumber: number; status: 'turn' | 'parked' }[];
  lapsed: string[];
  /** Set about once a second per event (see PROGRESS_MAX_GAP_MS), whichever instance ticked. */
  progress?: Payload<'queue.progress'>;
  /** Opted-in fans this tick found near their turn (each gets one `queue.turn_near`). */
  nearTurn?: number;
  /** Seconds of admitter outage this tick credited to turns and parked fans, if it credited anyone. */
  outageSeconds?: number;
}

interface TickRow {
  serving: number;
  tokens: number;
  tokens_at: Date;
  now: Date;
  admit_rate_per_minute: number;
  max_active_shoppers: number;
  away_grace_seconds: number;
  paused: boolean;
  in_carts: boolean;
  sold_out: boolean;
  cancelled: boolean;
  progress_at: Date | null;
  progress_serving: number;
  measured_rate: number;
  last_number: number;
  sale_starts_at: Date | null;
}

/**
 * One admitter step for one event, inside the caller's transaction. The advisory
 * lock only saves work; `serving` moves by `WHERE serving = $expected` and each fan
 * by `WHERE status = 'waiting'`, so two instances ticking at once cannot admit
 * anyone twice or skip anyone. Returns null when another instance holds the event.
 */
export async function admitterTick(
  db: Queryable,
  eventId: string,
  opts: TickOptions,
): Promise<TickResult | null> {
  if (!opts.skipLock) {
    const lock = await queryOne<{ ok: boolean }>(
      db,
      `SELECT pg_try_advisory_xact_lock(${lockKeySql('queue.admitter', '$1::text')}) AS ok`,
      [eventId],
    );
    if (!lock?.ok) return null;
  }
  const e = await queryOne<TickRow>(
    db,
    `SELECT e.*, clock_timestamp() AS now, COALESCE(c.last_number, 0) AS last_number
     FROM queue_events e LEFT JOIN queue_counters c USING (event_id) WHERE e.event_id = $1`,
    [eventId],
  );
  if (!e || e.cancelled) return null;
  const now = new Date(e.now);
  const grace = e.away_grace_seconds;
  const claimWindow = claimSeconds(grace, opts.minClaimSeconds);

  // The grace and the claim window do not run while no admitter ran (every queue instance
  // down or restarting): a fan cannot come back to a queue that is not there. Ticks stamp
  // tokens_at several times a second, so a longer gap is the queue's own outage.
  const tolerance = Math.max(STALL_TOLERANCE_SECONDS, (4 * (opts.tickMs ?? DEFAULT_TICK_MS)) / 1000);
  const stalledSeconds = (now.getTime() - new Date(e.tokens_at).getTime()) / 1000 - tolerance;
  // An idle event (nobody waiting, no open turn) is not ticked: its gap credits nobody.
  const credited =
    stalledSeconds > 0
      ? await queryOne<{ n: number }>(
          db,
          `WITH credited AS (
             UPDATE fans SET turn_at = turn_at + make_interval(secs => $2)
             WHERE event_id = $1 AND status IN ('parked', 'turn') RETURNING 1)
           SELECT count(*)::int AS n FROM credited`,
          [eventId, stalledSeconds],
        )
      : null;

  // Away fans lose a parked turn after the grace (and the greeting slack: one who connected
  // within it is decided by when they connected); an unclaimed turn lapses after its claim window.
  const lapsed = await queryRows<{ user_id: string }>(
    db,
    `UPDATE fans SET status = 'lapsed'
     WHERE event_id = $1 AND (
       (status = 'parked' AND turn_at <= $2::timestamptz - make_interval(secs => $3)) OR
       (status = 'turn' AND turn_at <= $2::timestamptz - make_interval(secs => $4)))
     RETURNING user_id`,
    [eventId, now, grace + parkedLapseSlackSeconds(grace), claimWindow],
  );

  const counts = await queryOne<{ active: string; parked: string }>(
    db,
    `SELECT count(*) FILTER (WHERE status = 'turn'
              OR (status = 'admitted' AND (has_order OR
                LEAST(admission_expires_at, admitted_at + make_interval(secs => $3)) > $2))) AS active,
            count(*) FILTER (WHERE status = 'parked') AS parked
     FROM fans
     WHERE event_id = $1 AND (status IN ('turn', 'parked') OR (status = 'admitted' AND NOT slot_released))`,
    [eventId, now, FIRST_HOLD_SECONDS],
  );
  const active = Number(counts?.active ?? 0);
  let parked = Number(counts?.parked ?? 0);

  const bucket = refill({ tokens: e.tokens, at: new Date(e.tokens_at) }, e.admit_rate_per_minute, now);
  // Before the announced sale time nobody gets a turn, however early the buffer closed.
  const halted = e.paused || e.in_carts || e.sold_out || !saleHasStarted(e.sale_starts_at, now);
  const n = admissionBudget({
    tokens: bucket.tokens,
    maxActiveShoppers: e.max_active_shoppers,
    active,
    serving: e.serving,
    lastNumber: e.last_number,
    halted,
  });
  const moved = await queryOne<{ serving: number }>(
    db,
    `UPDATE queue_events SET serving = serving + $3, tokens = $4, tokens_at = $5
     WHERE event_id = $1 AND serving = $2 RETURNING serving`,
    [eventId, e.serving, n, bucket.tokens - n, now],
  );
  if (!moved) throw new ServingMovedError(eventId);

  let turned: TickResult['turned'] = [];
  if (n > 0) {
    // Presence decides: a connected fan gets the turn now, an absent one is parked for the grace.
    const rows = await queryRows<{ user_id: string; queue_number: number; status: 'turn' | 'parked' }>(
      db,
      `UPDATE fans SET turn_at = $4,
         status = CASE WHEN last_seen_at > $4::timestamptz - make_interval(secs => $5) THEN 'turn' ELSE 'parked' END
       WHERE event_id = $1 AND queue_number > $2 AND queue_number <= $3 AND status = 'waiting'
       RETURNING user_id, queue_number, status`,
      [eventId, e.serving, e.serving + n, now, PRESENCE_STALE_SECONDS],
    );
    turned = rows
      .sort((a, b) => a.queue_number - b.queue_number)
      .map((r) => ({ userId: r.user_id, queueNumber: r.queue_number, status: r.status }));
    parked += turned.filter((t) => t.status === 'parked').length;
  }

  const signals: FanSignal[] = [
    ...turned
      .filter((t) => t.status === 'turn')
      .map((t): FanSignal => ({
        t: 'turn',
        e: eventId,
        u: t.userId,
        c: claimBy(now, grace, opts.minClaimSeconds).toISOString(),
      })),
    ...lapsed.map((l): FanSignal => ({ t: 'lapsed', e: eventId, u: l.user_id })),
  ];
  await notifyFans(db, signals);

  const serving = e.serving + n;
  // "Your turn is near" only while the queue moves: not before the sale, not while paused or
  // held up (a mail saying "about 12 fans ahead" then would send the fan to a standing queue).
  const nearTurn = halted
    ? 0
    : await markNearTurnMails(db, {
        eventId,
        serving,
        aheadAtMost: nearTurnAhead(e.admit_rate_per_minute, opts.nearTurnLeadSeconds ?? 300),
        now,
      });
  let progress: TickResult['progress'];
  const sinceMs = e.progress_at ? now.getTime() - new Date(e.progress_at).getTime() : null;
  if (progressDue(sinceMs, opts.tickMs ?? DEFAULT_TICK_MS)) {
    const since = sinceMs === null ? Infinity : sinceMs / 1000;
    const rate = Number.isFinite(since)
      ? measuredRate(e.measured_rate, serving - e.progress_serving, since)
      : 0;
    await db.query(
      `UPDATE queue_events SET progress_at = $2, progress_serving = $3, measured_rate = $4 WHERE event_id = $1`,
      [eventId, now, serving, rate],
    );
    progress = {
      eventId,
      servingNumber: serving,
      parked,
      waiting: Math.max(0, e.last_number - serving),
      admitRatePerMinute: e.admit_rate_per_minute,
      paused: e.paused || e.in_carts,
      soldOut: e.sold_out,
      measuredRatePerMinute: Math.round(rate * 10) / 10,
      lastNumber: e.last_number,
    };
  }
  return {
    turned,
    lapsed: lapsed.map((l) => l.user_id),
    progress,
    ...(nearTurn ? { nearTurn } : {}),
    ...(credited?.n ? { outageSeconds: stalledSeconds } : {}),
  };
}

/** Another writer advanced `serving` between our read and our update: this tick is void. */
export class ServingMovedError extends Error {
  constructor(eventId: string) {
    super(`serving of ${eventId} moved under this tick`);
    this.name = 'ServingMovedError';
  }
}

/**
 * Events the admitter has work for: numbers not yet served, turns or parked fans to
 * settle, or a tick since the last `queue.progress` (so the final state, with nobody
 * waiting, is published once). An event whose queue has run dry is not ticked at all
 * (past events would otherwise cost every instance a transaction per tick, forever);
 * a late joiner's number brings it back.
 */
export const eventsToTick = async (db: Queryable): Promise<string[]> =>
  (
    await queryRows<{ event_id: string }>(
      db,
      `SELECT e.event_id FROM queue_events e JOIN queue_counters c USING (event_id)
       WHERE NOT e.cancelled AND (
         c.last_number > e.serving
         OR e.progress_at IS NULL OR e.progress_at < e.tokens_at
         OR EXISTS (SELECT 1 FROM fans f WHERE f.event_id = e.event_id AND f.status IN ('turn', 'parked')))`,
    )
  ).map((r) => r.event_id);

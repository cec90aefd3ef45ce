import { enqueueMessages, envelope, queryOne, queryRows, type Queryable } from '@ticketslave/common';
import type { FanStatus } from '@ticketslave/contracts';
import { claimBy } from '../domain/admission-rules';
import { notifyFans, type FanSignal } from './fan-signals-sql';

export interface FanRow {
  queue_number: number;
  status: FanStatus;
  turn_at: Date | null;
  admission_id: string | null;
  admission_expires_at: Date | null;
}

/**
 * Records these sockets as their fans' presence, for one event in one statement (a
 * reconnect storm arrives as thousands of sockets a second; one round trip each
 * queued the admitter's ticks behind them). A parked fan whose socket connected within the
 * grace is given the turn again at once, ahead of numbers not yet served (those wait for the
 * admitter's budget; this does not). When a fan appears twice, the newer socket wins.
 * Rows are updated in user order, so two instances' batches cannot deadlock.
 */
export async function connectFans(
  db: Queryable,
  eventId: string,
  sockets: { userId: string; connId: string; connectedAt: number }[],
): Promise<Map<string, FanRow>> {
  const latest = new Map<string, { connId: string; connectedAt: number }>();
  for (const s of sockets)
    if ((latest.get(s.userId)?.connectedAt ?? -Infinity) <= s.connectedAt) latest.set(s.userId, s);
  const users = [...latest.keys()].sort();
  // Back in time is decided by when the socket connected (this process's clock, never later
  // than the database's now), not by when its batch reached the database: under load a
  // greeting waits behind others, and the admitter lapses a parked fan only a slack after the
  // grace (parkedLapseSlackSeconds) so that such a greeting still finds the fan parked.
  const rows = await queryRows<FanRow & { user_id: string }>(
    db,
    `WITH g AS (SELECT COALESCE((SELECT away_grace_seconds FROM queue_events WHERE event_id = $1), 0) AS grace),
     x AS (SELECT f.user_id, c.conn_id, LEAST(to_timestamp(c.at / 1000.0), clock_timestamp()) AS at
           FROM unnest($2::text[], $3::uuid[], $4::float8[]) AS c(user_id, conn_id, at)
           JOIN fans f ON f.event_id = $1 AND f.user_id = c.user_id
           ORDER BY f.user_id FOR UPDATE OF f)
     UPDATE fans f SET conn_id = x.conn_id, last_seen_at = clock_timestamp(),
       turn_at = CASE WHEN f.status = 'parked' AND f.turn_at > x.at - make_interval(secs => g.grace)
                      THEN clock_timestamp() ELSE f.turn_at END,
       status = CASE WHEN f.status = 'parked' AND f.turn_at > x.at - make_interval(secs => g.grace)
                     THEN 'turn' ELSE f.status END
     FROM g, x WHERE f.event_id = $1 AND f.user_id = x.user_id
     RETURNING f.user_id, f.queue_number, f.status, f.turn_at, f.admission_id, f.admission_expires_at`,
    [eventId, users, users.map((u) => latest.get(u)!.connId), users.map((u) => latest.get(u)!.connectedAt)],
  );
  await notifyFans(
    db,
    users.map((u): FanSignal => {
      const { connId, connectedAt } = latest.get(u)!;
      return { t: 'replaced', e: eventId, u, c: connId, a: connectedAt };
    }),
  );
  return new Map(rows.map(({ user_id, ...row }) => [user_id, row]));
}

/** Only clears presence this socket set: a newer connection elsewhere keeps the fan present. */
export async function disconnectFan(db: Queryable, eventId: string, userId: string, connId: string) {
  await db.query(
    `UPDATE fans SET conn_id = NULL, last_seen_at = NULL WHERE event_id = $1 AND user_id = $2 AND conn_id = $3`,
    [eventId, userId, connId],
  );
}

export interface Presence {
  eventId: string;
  userId: string;
  connId: string;
}

/**
 * Refreshes the presence of the sockets this instance holds. A socket may have
 * connected before its fan's row existed (the page opens as soon as the buffer tells
 * the number, often before `queue.assigned` reaches queue), so the row has no
 * `conn_id` yet: the heartbeat adopts it. A fan parked although a socket is live (no
 * presence when the turn came) gets the turn back at once, as on a reconnect, and is
 * told so. Returns the turns given back. Run it in a transaction: the signals go out on commit.
 */
export async function heartbeat(
  db: Queryable,
  sockets: Presence[],
  minClaimSeconds: number,
): Promise<FanSignal[]> {
  if (sockets.length === 0) return [];
  const params = [sockets.map((s) => s.eventId), sockets.map((s) => s.userId), sockets.map((s) => s.connId)];
  // Each guard is evaluated on the row as it is now, so a claim or an admitter tick
  // committed meanwhile is never overwritten.
  const rows = await queryRows<{ event_id: string; user_id: string; turn_at: Date; grace: number }>(
    db,
    `UPDATE fans f SET status = 'turn', turn_at = clock_timestamp()
     FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS s(e, u, c), queue_events e
     WHERE f.event_id = s.e AND f.user_id = s.u AND e.event_id = f.event_id
       AND (f.conn_id = s.c OR f.conn_id IS NULL)
       AND f.status = 'parked' AND f.turn_at > clock_timestamp() - make_interval(secs => e.away_grace_seconds)
     RETURNING f.event_id, f.user_id, f.turn_at, e.away_grace_seconds AS grace`,
    params,
  );
  await db.query(
    `UPDATE fans f SET last_seen_at = clock_timestamp(), conn_id = s.c
     FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS s(e, u, c)
     WHERE f.event_id = s.e AND f.user_id = s.u AND (f.conn_id = s.c OR f.conn_id IS NULL)`,
    params,
  );
  const signals = rows.map((r): FanSignal => ({
    t: 'turn',
    e: r.event_id,
    u: r.user_id,
    c: claimBy(new Date(r.turn_at), r.grace, minClaimSeconds).toISOString(),
  }));
  await notifyFans(db, signals);
  return signals;
}

export const findFan = (db: Queryable, eventId: string, userId: string) =>
  queryOne<FanRow>(
    db,
    `SELECT queue_number, status, turn_at, admission_id, admission_expires_at FROM fans
     WHERE event_id = $1 AND user_id = $2`,
    [eventId, userId],
  );

export interface PlaceRow extends FanRow {
  event_id: string;
  serving: number;
  last_number: number;
  away_grace_seconds: number;
  paused: boolean;
  in_carts: boolean;
  sold_out: boolean;
  sale_starts_at: Date | null;
}

/**
 * The fan's places across events ("My queues"), lapsed turns and ended admissions too: the
 * page must tell "your turn passed" from "the queue has not heard of your number yet".
 * Cancelled events are left out. The 100 latest sales first.
 */
export const placesOf = (db: Queryable, userId: string) =>
  queryRows<PlaceRow>(
    db,
    `SELECT f.event_id, f.queue_number, f.status, f.turn_at, f.admission_id, f.admission_expires_at,
            COALESCE(e.serving, 0) AS serving, COALESCE(c.last_number, 0) AS last_number,
            COALESCE(e.away_grace_seconds, 0) AS away_grace_seconds, COALESCE(e.paused, false) AS paused,
            COALESCE(e.in_carts, false) AS in_carts, COALESCE(e.sold_out, false) AS sold_out, e.sale_starts_at
     FROM fans f LEFT JOIN queue_events e USING (event_id) LEFT JOIN queue_counters c USING (event_id)
     WHERE f.user_id = $1 AND NOT COALESCE(e.cancelled, false)
     ORDER BY e.sale_starts_at DESC NULLS FIRST, f.event_id LIMIT 100`,
    [userId],
  );

/**
 * The claim, as one status-checked update: of two concurrent claims exactly one
 * matches `status IN ('turn','parked')`, so there is one admission and one message.
 */
export async function admitFan(
  db: Queryable,
  p: { eventId: string; userId: string; admissionId: string; minClaimSeconds: number },
): Promise<{ admissionId: string; expiresAt: Date; queueNumber: number } | undefined> {
  const rows = await queryRows<{ admission_id: string; admission_expires_at: Date; queue_number: number }>(
    db,
    `UPDATE fans f SET status = 'admitted', admitted_at = clock_timestamp(), admission_id = $3,
       admission_expires_at = clock_timestamp() + make_interval(secs => e.hold_seconds + 300)
     FROM queue_events e
     WHERE f.event_id = $1 AND f.user_id = $2 AND e.event_id = f.event_id
       AND NOT e.cancelled AND NOT e.sold_out
       AND ((f.status = 'turn' AND f.turn_at > clock_timestamp() - make_interval(secs => GREATEST(e.away_grace_seconds, $4)))
         OR (f.status = 'parked' AND f.turn_at > clock_timestamp() - make_interval(secs => e.away_grace_seconds)))
     RETURNING f.admission_id, f.admission_expires_at, f.queue_number`,
    [p.eventId, p.userId, p.admissionId, p.minClaimSeconds],
  );
  const row = rows[0];
  if (!row) return undefined;
  const expiresAt = new Date(row.admission_expires_at);
  await enqueueMessages(db, [
    {
      topic: 'queue.admitted',
      envelope: envelope('queue.admitted', {
        eventId: p.eventId,
        userId: p.userId,
        admissionId: row.admission_id,
        queueNumber: row.queue_number,
        expiresAt: expiresAt.toISOString(),
      }),
    },
  ]);
  return { admissionId: row.admission_id, expiresAt, queueNumber: row.queue_number };
}

import { queryOne, type Queryable } from '@ticketslave/common';
import { FIRST_HOLD_SECONDS } from '../domain/admission-rules';

export interface Actor {
  id: string;
  role: string;
}

/** The change and its audit row commit together, so no action goes unrecorded. */
export async function organiserAction(
  db: Queryable,
  eventId: string,
  actor: Actor,
  action: 'pause' | 'resume' | 'settings',
  details: Record<string, unknown>,
): Promise<void> {
  if (action === 'settings') {
    await db.query(
      `UPDATE queue_events SET admit_rate_per_minute = COALESCE($2, admit_rate_per_minute),
         max_active_shoppers = COALESCE($3, max_active_shoppers), updated_at = now() WHERE event_id = $1`,
      [eventId, details.admitRatePerMinute ?? null, details.maxActiveShoppers ?? null],
    );
  } else {
    await db.query(`UPDATE queue_events SET paused = $2, updated_at = now() WHERE event_id = $1`, [
      eventId,
      action === 'pause',
    ]);
  }
  await db.query(
    `INSERT INTO organiser_actions (event_id, actor_id, actor_role, action, details) VALUES ($1, $2, $3, $4, $5)`,
    [eventId, actor.id, actor.role, action, JSON.stringify(details)],
  );
}

export interface StatsRow {
  waiting: string;
  turn: string;
  parked: string;
  admitted: string;
  lapsed: string;
  active: string;
}

export const fanCounts = (db: Queryable, eventId: string) =>
  queryOne<StatsRow>(
    db,
    `SELECT count(*) FILTER (WHERE status = 'waiting') AS waiting,
            count(*) FILTER (WHERE status = 'turn') AS turn,
            count(*) FILTER (WHERE status = 'parked') AS parked,
            count(*) FILTER (WHERE status = 'admitted') AS admitted,
            count(*) FILTER (WHERE status = 'lapsed') AS lapsed,
            count(*) FILTER (WHERE status = 'turn' OR (status = 'admitted' AND NOT slot_released
              AND (has_order OR LEAST(admission_expires_at, admitted_at + make_interval(secs => $2)) > now()))) AS active
     FROM fans WHERE event_id = $1`,
    [eventId, FIRST_HOLD_SECONDS],
  );

import { enqueueMessages, envelope, queryOne, queryRows, type Queryable } from '@ticketslave/common';

/** A fan's answer to "E-mail me when I'm nearly there" for one place (issue 20.8). */
export interface NearTurnChoice {
  enabled: boolean;
  /** When the mail was decided (the fan was within the threshold); it is never sent twice. */
  sentAt: Date | null;
  email: string | null;
}

export async function nearTurnChoice(
  db: Queryable,
  eventId: string,
  userId: string,
): Promise<NearTurnChoice> {
  const row = await queryOne<{ email: string; sent_at: Date | null }>(
    db,
    `SELECT email, sent_at FROM near_turn_mails WHERE event_id = $1 AND user_id = $2`,
    [eventId, userId],
  );
  return row
    ? { enabled: true, sentAt: row.sent_at && new Date(row.sent_at), email: row.email }
    : { enabled: false, sentAt: null, email: null };
}

/**
 * Opts the fan in (only while they are still waiting: the status is checked in the insert
 * itself, so a turn that comes meanwhile wins) or out. Opting in again keeps a row already
 * sent as it is, so a place is mailed once; opting out after the mail changes nothing.
 * Returns false when an opt-in found the fan no longer waiting.
 */
export async function chooseNearTurnMail(
  db: Queryable,
  p: { eventId: string; userId: string; email: string; enabled: boolean },
): Promise<boolean> {
  if (!p.enabled) {
    await db.query(`DELETE FROM near_turn_mails WHERE event_id = $1 AND user_id = $2 AND sent_at IS NULL`, [
      p.eventId,
      p.userId,
    ]);
    return true;
  }
  const rows = await queryRows<{ ok: number }>(
    db,
    `INSERT INTO near_turn_mails (event_id, user_id, queue_number, email)
     SELECT event_id, user_id, queue_number, $3::text FROM fans
     WHERE event_id = $1 AND user_id = $2 AND status = 'waiting'
     ON CONFLICT (event_id, user_id) DO UPDATE SET email = EXCLUDED.email
       WHERE near_turn_mails.sent_at IS NULL
     RETURNING 1 AS ok`,
    [p.eventId, p.userId, p.email],
  );
  if (rows.length) return true;
  // Nothing written: either the mail is already decided (fine) or the fan is not waiting.
  return (await nearTurnChoice(db, p.eventId, p.userId)).sentAt !== null;
}

/**
 * In the admitter's tick, once `serving` has moved and the turns are given: marks sent every
 * opted-in fan still waiting with at most `aheadAtMost` fans ahead, and writes their
 * `queue.turn_near` in the same transaction. `sent_at IS NULL` is re-checked on the row as it
 * is when updated, so two instances ticking at once mark (and publish) each place once; a fan
 * whose turn came in this very tick is no longer waiting and gets no mail.
 */
export async function markNearTurnMails(
  db: Queryable,
  p: { eventId: string; serving: number; aheadAtMost: number; now: Date },
): Promise<number> {
  const rows = await queryRows<{ user_id: string; email: string; queue_number: number }>(
    db,
    `UPDATE near_turn_mails n SET sent_at = $4
     FROM fans f
     WHERE n.event_id = $1 AND n.sent_at IS NULL AND n.queue_number <= $2::int + $3::int + 1
       AND f.event_id = n.event_id AND f.user_id = n.user_id AND f.status = 'waiting'
     RETURNING n.user_id, n.email, n.queue_number`,
    [p.eventId, p.serving, p.aheadAtMost, p.now],
  );
  await enqueueMessages(
    db,
    rows.map((r) => ({
      topic: 'queue.turn_near' as const,
      envelope: envelope('queue.turn_near', {
        eventId: p.eventId,
        userId: r.user_id,
        email: r.email,
        queueNumber: r.queue_number,
        ahead: Math.max(0, r.queue_number - p.serving - 1),
      }),
    })),
  );
  return rows.length;
}

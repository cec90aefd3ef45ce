import { queryRows, type Queryable } from '@ticketslave/common';
import type { InventoryCounts, PublicationStore } from '../domain/ports';

export class PgPublicationStore implements PublicationStore {
  constructor(private readonly db: Queryable) {}

  async lockAll(recheckSeconds: number) {
    const rows = await queryRows<{
      event_id: string;
      counts: InventoryCounts | null;
      seen_seq: string;
      max_seq: string | null;
      recent: boolean;
    }>(
      this.db,
      `SELECT p.event_id, p.counts, p.seen_seq,
              (SELECT max(change_seq) FROM units u WHERE u.event_id = p.event_id) AS max_seq,
              coalesce(p.seen_at > now() - make_interval(secs => $1), false) AS recent
       FROM inventory_published p JOIN events e USING (event_id)
       WHERE e.status <> 'completed'
       FOR UPDATE OF p SKIP LOCKED`,
      [recheckSeconds],
    );
    return rows.map((r) => ({
      eventId: r.event_id,
      counts: r.counts,
      seenSeq: Number(r.seen_seq),
      maxSeq: Number(r.max_seq ?? 0),
      recent: r.recent,
    }));
  }

  async record(
    eventId: string,
    r: { counts: InventoryCounts; seenSeq: number; moved: boolean; published: boolean },
  ): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE inventory_published SET counts = $2, seen_seq = $3,
         seen_at = CASE WHEN $4 THEN now() ELSE seen_at END,
         published_at = CASE WHEN $5 THEN now() ELSE published_at END
       WHERE event_id = $1`,
      [eventId, JSON.stringify(r.counts), r.seenSeq, r.moved, r.published],
    );
  }
}

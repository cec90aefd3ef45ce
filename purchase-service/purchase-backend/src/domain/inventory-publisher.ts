import { enqueueMessages, envelope, queryRows } from '@ticketslave/common';
import { inventoryCounts, type InventoryCounts } from './inventory';
import type { Transact } from './ports';

/**
 * Publishes `inventory.changed` at most once per tick per event, and only when the
 * counts moved. The event's row in inventory_published is taken with SKIP LOCKED, so
 * several instances share the work and never publish the same change twice.
 * Sequence numbers can commit out of order, so an event is rechecked for a few
 * seconds after its last change: a late commit is still published.
 */
export async function publishInventoryChanges(tx: Transact, recheckSeconds = 5): Promise<number> {
  return tx(async (db) => {
    const due = await queryRows<{
      event_id: string;
      counts: InventoryCounts | null;
      seen_seq: string;
      max_seq: string | null;
    }>(
      db,
      `SELECT p.event_id, p.counts, p.seen_seq,
              (SELECT max(change_seq) FROM units u WHERE u.event_id = p.event_id) AS max_seq
       FROM inventory_published p JOIN events e USING (event_id)
       WHERE e.status <> 'completed'
       FOR UPDATE OF p SKIP LOCKED`,
    );
    let published = 0;
    for (const d of due) {
      const maxSeq = Number(d.max_seq ?? 0);
      const moved = maxSeq > Number(d.seen_seq);
      const recent = await queryRows(
        db,
        `SELECT 1 FROM inventory_published WHERE event_id = $1 AND seen_at > now() - make_interval(secs => $2)`,
        [d.event_id, recheckSeconds],
      );
      if (!moved && recent.length === 0 && d.counts) continue;
      const counts = await inventoryCounts(db, d.event_id);
      const changed = JSON.stringify(counts) !== JSON.stringify(d.counts);
      if (changed) {
        await enqueueMessages(db, [
          {
            topic: 'inventory.changed',
            key: d.event_id,
            envelope: envelope('inventory.changed', { eventId: d.event_id, ...counts }),
          },
        ]);
        published++;
      }
      await queryRows(
        db,
        `UPDATE inventory_published SET counts = $2, seen_seq = $3,
           seen_at = CASE WHEN $4 THEN now() ELSE seen_at END,
           published_at = CASE WHEN $5 THEN now() ELSE published_at END
         WHERE event_id = $1`,
        [d.event_id, JSON.stringify(counts), maxSeq, moved, changed],
      );
    }
    return published;
  });
}

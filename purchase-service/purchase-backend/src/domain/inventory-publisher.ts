import { envelope } from '@ticketslave/common';
import { inventoryCounts } from './inventory';
import type { Transact } from './ports';

/**
 * Publishes `inventory.changed` at most once per tick per event, and only when the
 * counts moved. Events are locked with SKIP LOCKED, so several instances share the work
 * and never publish the same change twice. Sequence numbers can commit out of order,
 * so an event is rechecked for a few seconds after its last change: a late commit is
 * still published.
 */
export async function publishInventoryChanges(tx: Transact, recheckSeconds = 5): Promise<number> {
  return tx(async (s) => {
    let published = 0;
    for (const d of await s.publications.lockAll(recheckSeconds)) {
      const moved = d.maxSeq > d.seenSeq;
      if (!moved && !d.recent && d.counts) continue;
      const counts = await inventoryCounts(s, d.eventId);
      const changed = JSON.stringify(counts) !== JSON.stringify(d.counts);
      if (changed) {
        await s.enqueue([
          {
            topic: 'inventory.changed',
            envelope: envelope('inventory.changed', { eventId: d.eventId, ...counts }),
          },
        ]);
        published++;
      }
      await s.publications.record(d.eventId, { counts, seenSeq: d.maxSeq, moved, published: changed });
    }
    return published;
  });
}

import { queryRows, type Queryable } from '@ticketslave/common';

/**
 * Puts an order's units back on sale. Rows are locked in (event, unit) order first,
 * the same order holds lock in, so a release and a hold can never deadlock.
 */
export async function releaseUnits(
  db: Queryable,
  orderIds: string[],
  from: 'held' | 'sold' | 'any',
): Promise<number> {
  if (orderIds.length === 0) return 0;
  const statuses = from === 'any' ? ['held', 'sold'] : [from];
  const locked = await queryRows<{ unit_id: string }>(
    db,
    `SELECT unit_id FROM units WHERE order_id = ANY($1::uuid[]) AND status = ANY($2::text[])
     ORDER BY event_id, unit_id FOR UPDATE`,
    [orderIds, statuses],
  );
  if (locked.length === 0) return 0;
  await queryRows(
    db,
    `UPDATE units SET status = 'available', order_id = NULL, change_seq = nextval('unit_change_seq')
     WHERE order_id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
    [orderIds, statuses],
  );
  return locked.length;
}

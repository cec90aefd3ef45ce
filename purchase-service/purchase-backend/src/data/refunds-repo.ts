import { queryOne, queryRows, type Queryable } from '@ticketslave/common';
import type { Refund, RefundStore } from '../domain/ports';

interface RefundRow {
  refund_id: string;
  order_id: string;
  event_id: string;
  source: Refund['source'];
  status: Refund['status'];
  amount_minor: number;
  reason: string;
  release_seats: boolean;
  requested_by_email: string | null;
  failure: string | null;
  created_at: Date;
  settled_at: Date | null;
  unit_ids: string[] | null;
}

const SELECT = `SELECT r.*, (SELECT array_agg(i.unit_id ORDER BY i.unit_id) FROM refund_items i
  WHERE i.refund_id = r.refund_id) AS unit_ids FROM refunds r`;

const toRefund = (r: RefundRow): Refund => ({
  refundId: r.refund_id,
  orderId: r.order_id,
  eventId: r.event_id,
  source: r.source,
  status: r.status,
  amountMinor: r.amount_minor,
  reason: r.reason,
  releaseSeats: r.release_seats,
  requestedByEmail: r.requested_by_email,
  failure: r.failure,
  createdAt: new Date(r.created_at),
  settledAt: r.settled_at ? new Date(r.settled_at) : null,
  unitIds: r.unit_ids ?? [],
});

export class PgRefundStore implements RefundStore {
  constructor(private readonly db: Queryable) {}

  async insert(r: Parameters<RefundStore['insert']>[0]): Promise<void> {
    await this.db.query(
      `INSERT INTO refunds (refund_id, order_id, event_id, source, status, amount_minor, reason, release_seats,
         requested_by, requested_by_email, settled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $5 = 'requested' THEN NULL ELSE now() END)`,
      [
        r.refundId,
        r.orderId,
        r.eventId,
        r.source,
        r.status,
        r.amountMinor,
        r.reason,
        r.releaseSeats,
        r.requestedBy,
        r.requestedByEmail,
      ],
    );
    await this.addUnits(r.refundId, r.orderId, r.unitIds);
  }

  async lock(refundId: string): Promise<Refund | undefined> {
    await queryRows(this.db, `SELECT 1 FROM refunds WHERE refund_id = $1 FOR UPDATE`, [refundId]);
    const row = await queryOne<RefundRow>(this.db, `${SELECT} WHERE r.refund_id = $1`, [refundId]);
    return row && toRefund(row);
  }

  async liveOf(orderId: string): Promise<Refund[]> {
    const rows = await queryRows<RefundRow>(
      this.db,
      `${SELECT} WHERE r.order_id = $1 AND r.status <> 'failed' ORDER BY r.created_at`,
      [orderId],
    );
    return rows.map(toRefund);
  }

  async ofOrder(orderId: string): Promise<Refund[]> {
    const rows = await queryRows<RefundRow>(
      this.db,
      `${SELECT} WHERE r.order_id = $1 ORDER BY r.created_at`,
      [orderId],
    );
    return rows.map(toRefund);
  }

  async settle(refundId: string, status: 'refunded' | 'failed', failure?: string): Promise<void> {
    await queryRows(
      this.db,
      `UPDATE refunds SET status = $2, failure = $3, settled_at = now() WHERE refund_id = $1 AND status = 'requested'`,
      [refundId, status, failure ?? null],
    );
  }

  async addUnits(refundId: string, orderId: string, unitIds: string[]): Promise<void> {
    if (!unitIds.length) return;
    await this.db.query(
      `INSERT INTO refund_items (refund_id, order_id, unit_id) SELECT $1, $2, u FROM unnest($3::text[]) AS u`,
      [refundId, orderId, unitIds],
    );
  }

  async dropUnits(refundId: string): Promise<void> {
    await this.db.query(`DELETE FROM refund_items WHERE refund_id = $1`, [refundId]);
  }
}

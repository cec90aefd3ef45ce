import {
  enqueueMessagesSql,
  queryOne,
  sqlArgs,
  sqlLiteral,
  type PreparedStatements,
} from '@ticketslave/common';
import { z } from 'zod';
import type {
  Authorization,
  AuthorizationInput,
  AuthorizationStore,
  AuthorizationWrites,
  Capture,
  CaptureStore,
  Order,
} from '../domain/ports';
import { keptBuyerName, OrderJson, orderFromJson } from './orders-repo';

/** What `secure_authorization` (sql/authorizations.sql) answers. */
const Answer = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.enum(['duplicate', 'unknown']) }),
  z.object({ outcome: z.literal('ignored'), order: OrderJson }),
  z.object({
    outcome: z.literal('cancelled'),
    order: OrderJson,
    reason: z.string(),
    already: z.boolean(),
    owned: z.number().int().optional(),
    limit: z.number().int().optional(),
  }),
  z.object({
    outcome: z.literal('secured'),
    order: OrderJson,
    units: z.array(z.object({ unit_id: z.string(), starts_at: z.string() })),
  }),
]);

const toAuthorization = (a: z.infer<typeof Answer>): Authorization => {
  switch (a.outcome) {
    case 'duplicate':
    case 'unknown':
      return { outcome: a.outcome };
    case 'ignored':
      return { outcome: a.outcome, order: orderFromJson(a.order) };
    case 'cancelled':
      return { ...a, order: orderFromJson(a.order) };
    case 'secured':
      return {
        outcome: a.outcome,
        order: orderFromJson(a.order),
        units: a.units.map((u) => ({ unitId: u.unit_id, startsAt: new Date(u.starts_at) })),
      };
  }
};

/**
 * Authorizations in one transaction of two round trips: BEGIN with `secure_authorization`
 * (the message recorded as processed, the checks, the seats sold or released), then the
 * tickets, the order confirmed and its message with COMMIT. As separate statements in a
 * `processOnce` it was some fourteen round trips, each waiting on the consumer's event loop.
 */
export class PgAuthorizationStore implements AuthorizationStore {
  /**
   * @param afterCommit called after a commit that wrote messages: they were written without
   *   NOTIFY (which serialises commits server-wide), so this wakes the outbox relay.
   */
  constructor(
    private readonly db: Pick<PreparedStatements, 'transactionInTwo'>,
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  async apply(
    input: AuthorizationInput,
    finish: (a: Authorization) => Promise<AuthorizationWrites>,
  ): Promise<Authorization> {
    const first = `SELECT secure_authorization(${sqlArgs([
      input.consumer,
      input.messageId,
      input.orderId,
      input.paymentIntentId,
      keptBuyerName(input.buyerName),
      input.cardFingerprint ?? null,
      input.amountMinor,
    ])}) AS r`;
    let wrote = false;
    const answer = await this.db.transactionInTwo(first, async (rows) => {
      const a = toAuthorization(Answer.parse(rows[0]?.r));
      const writes = await finish(a);
      const last = [
        ...(writes.issued && 'order' in a
          ? [issueSql(a.order, writes.issued), confirmSql(a.order.orderId)]
          : []),
        enqueueMessagesSql(writes.messages, { notify: false }),
      ].filter((s): s is string => s !== null);
      wrote = writes.messages.length > 0;
      return { last: last.length ? last.join(';\n') : null, result: a };
    });
    if (wrote) this.afterCommit();
    return answer;
  }
}

const CaptureAnswer = z.union([
  z.object({ outcome: z.enum(['duplicate', 'unknown', 'paid', 'needs_tickets']) }),
  z.object({ outcome: z.literal('ignored'), status: OrderJson.shape.status }),
]) satisfies z.ZodType<Capture>;

/** Captures of orders whose tickets exist, in one statement each (`settle_capture`). */
export class PgCaptureStore implements CaptureStore {
  constructor(private readonly db: Pick<PreparedStatements, 'query'>) {}

  async settle(input: Parameters<CaptureStore['settle']>[0]): Promise<Capture> {
    const row = await queryOne<{ r: unknown }>(this.db, `SELECT settle_capture($1, $2, $3, $4) AS r`, [
      input.consumer,
      input.messageId,
      input.orderId,
      keptBuyerName(input.buyerName),
    ]);
    return CaptureAnswer.parse(row?.r);
  }
}

/** The tickets (UNIQUE (order_id, unit_id) makes a second issue for a unit a no-op). */
const issueSql = (order: Order, issued: NonNullable<AuthorizationWrites['issued']>) =>
  `INSERT INTO tickets (ticket_id, order_id, event_id, user_id, unit_id, code, issued_at)
   SELECT t.id, ${sqlLiteral(order.orderId)}::uuid, ${sqlLiteral(order.eventId)}::uuid, ${sqlLiteral(order.userId)}::text,
          t.unit, t.code, ${sqlLiteral(issued.issuedAt)}::timestamptz
   FROM unnest(${sqlLiteral(issued.tickets.map((t) => t.ticketId))}::uuid[],
               ${sqlLiteral(issued.tickets.map((t) => t.unitId))}::text[],
               ${sqlLiteral(issued.tickets.map((t) => t.code))}::text[]) AS t(id, unit, code)
   ON CONFLICT (order_id, unit_id) DO NOTHING`;

/** The order confirmed (orders-repo's setStatus for 'confirmed': when it was authorized, once). */
const confirmSql = (orderId: string) =>
  `UPDATE orders SET status = 'confirmed', reason = NULL, updated_at = now(),
     authorized_at = coalesce(authorized_at, now())
   WHERE order_id = ${sqlLiteral(orderId)}::uuid`;

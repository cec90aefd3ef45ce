import {
  enqueueMessagesSql,
  KeyedBatcher,
  lockKeySql,
  sqlLiteral,
  type Clock,
  type OutgoingMessage,
  type PreparedStatements,
} from '@ticketslave/common';
import { z } from 'zod';
import type { Hold, HoldStore, Refusal } from '../domain/holds';
import { SELLING_STATUSES, type Order, type OrderWithItems } from '../domain/ports';
import { OrderJson, orderFromJson, toOrderItem } from './orders-repo';

/** One hold as `hold_units_batch` (sql/holds.sql) reads it from its JSON array. */
const HoldInput = z.object({
  seats: z.array(z.string()).nullable(),
  category: z.string().nullable(),
  together: z.boolean(),
  standing: z.string().nullable(),
  standingQuantity: z.number().int().nonnegative(),
  quantity: z.number().int().positive(),
  user: z.string(),
  email: z.string(),
  person: z.string(),
  admission: z.string(),
  order: z.uuid(),
});

const ItemJson = z.object({
  unit_id: z.string(),
  category_id: z.string(),
  section: z.string().nullable(),
  row_label: z.string().nullable(),
  seat: z.number().int().nullable(),
  price_minor: z.number().int(),
});

const RefusalJson = z.discriminatedUnion('reason', [
  z.object({
    reason: z.enum([
      'event_not_found',
      'not_on_sale',
      'admission_used',
      'mixed_currencies',
      'person_has_account',
    ]),
  }),
  z.object({ reason: z.literal('unknown_seats'), unknown: z.array(z.string()) }),
  z.object({ reason: z.literal('limit_exceeded'), limit: z.number().int(), owned: z.number().int() }),
  z.object({ reason: z.literal('seats_taken'), taken: z.array(z.string()) }),
  z.object({
    reason: z.literal('not_enough_available'),
    available: z.number().int(),
    category: z.string().optional(),
  }),
  z.object({
    reason: z.literal('no_adjacent'),
    category: z.string(),
    quantity: z.number().int(),
    available: z.number().int(),
    largest: z.number().int(),
  }),
]) satisfies z.ZodType<Refusal>;

/** What `hold_units_batch` answers: one of these per hold, in the holds' order. */
const BatchAnswer = z.array(
  z.union([
    z.object({ refused: RefusalJson }),
    z.object({ order: OrderJson, items: z.array(ItemJson), title: z.string() }),
  ]),
);

/**
 * The batch's statement, its values inlined (it is sent with BEGIN as one simple query, see
 * `run`). The lock keys come from the registry (libs/common locks.ts): the event's, and one
 * per fan of the batch from the same JSON the function reads.
 */
const holdBatchSql = (eventId: string, holds: string, now: Date, selling: readonly string[]) =>
  `SELECT hold_units_batch(p.e, p.h, ${sqlLiteral(now)}::timestamptz, ${sqlLiteral(selling)}::text[],
  ${lockKeySql('purchase.event', 'p.e::text')},
  ARRAY(SELECT ${lockKeySql('purchase.fan', 'p.e::text', "x.hold ->> 'user'")}
        FROM jsonb_array_elements(p.h) AS x(hold))) AS r
  FROM (SELECT ${sqlLiteral(eventId)}::uuid AS e, ${sqlLiteral(holds)}::jsonb AS h) p`;

type Outcome = OrderWithItems | { refused: Refusal };
interface Pending {
  input: z.infer<typeof HoldInput>;
  announce: (order: Order) => OutgoingMessage[];
}

/**
 * Batches per event in flight at once per instance, and the largest batch. One in flight
 * makes the batches as big as the load: in bench:purchase (64 requests in flight) the
 * CPU per hold request fell from purchase 0.81 + PostgreSQL 0.77 ms (a statement and a
 * commit each) to 0.41 + 0.26 ms, holds/s from 464 to 1,013 and the p99 from 136 to 69 ms.
 */
const HOLD_BATCHES_IN_FLIGHT = 1;
const MAX_HOLD_BATCH = 64;

/**
 * Holds through `hold_units_batch`, in batches per event: the holds that arrive while
 * the event's batch is in flight go together in the next one, one transaction and one
 * commit, with the messages of every order it made; a lone hold goes at once. If a
 * batch fails (an error, not a refusal: refusals are answers), its holds are retried
 * one at a time, so one failing hold cannot fail the others of its batch.
 */
export class PgHoldStore implements HoldStore {
  private readonly batcher = new KeyedBatcher<Pending, Outcome | { failed: unknown }>(
    (eventId, batch) => this.runBatch(eventId, batch),
    { maxBatch: MAX_HOLD_BATCH, inFlightPerKey: HOLD_BATCHES_IN_FLIGHT },
  );

  /**
   * @param afterCommit called after a commit that made orders: the messages were written
   *   without NOTIFY (which serialises commits server-wide), so this wakes the outbox relay.
   */
  constructor(
    private readonly db: Pick<PreparedStatements, 'transactionInTwo'>,
    private readonly clock: Clock,
    private readonly afterCommit: () => void = () => undefined,
  ) {}

  async hold(hold: Hold, announce: (order: Order) => OutgoingMessage[]): Promise<Outcome> {
    const input = HoldInput.parse({
      seats: hold.seats,
      category: hold.category,
      together: hold.together,
      standing: hold.standing?.categoryId ?? null,
      standingQuantity: hold.standing?.quantity ?? 0,
      quantity: hold.quantity,
      user: hold.userId,
      email: hold.email,
      person: hold.person,
      admission: hold.admissionId,
      order: hold.orderId,
    });
    const outcome = await this.batcher.submit(hold.eventId, { input, announce });
    if ('failed' in outcome) throw outcome.failed;
    return outcome;
  }

  private async runBatch(eventId: string, batch: Pending[]): Promise<(Outcome | { failed: unknown })[]> {
    try {
      return await this.run(eventId, batch);
    } catch (failed) {
      if (batch.length === 1) return [{ failed }];
      // Whatever failed rolled the batch back; each hold on its own gets its own answer.
      return Promise.all(
        batch.map((p) =>
          this.run(eventId, [p]).then(
            ([outcome]) => outcome!,
            (err: unknown) => ({ failed: err }),
          ),
        ),
      );
    }
  }

  /**
   * One batch, one transaction in two round trips: `BEGIN` with the hold statement, the
   * outbox rows with `COMMIT` (four round trips as separate statements: BEGIN, the holds,
   * the messages, COMMIT).
   */
  private async run(eventId: string, batch: Pending[]): Promise<Outcome[]> {
    const first = holdBatchSql(
      eventId,
      JSON.stringify(batch.map((p) => p.input)),
      this.clock.now(),
      SELLING_STATUSES,
    );
    const outcomes = await this.db.transactionInTwo(first, (rows) => {
      const answers = BatchAnswer.parse(rows[0]?.r);
      if (answers.length !== batch.length)
        throw new Error(`hold_units_batch answered ${answers.length} holds of ${batch.length}`);
      const outcomes = answers.map((a): Outcome => ('refused' in a ? a : held(a)));
      const messages = outcomes.flatMap((o, i) => ('refused' in o ? [] : batch[i]!.announce(o)));
      return { last: enqueueMessagesSql(messages, { notify: false }), result: outcomes };
    });
    if (outcomes.some((o) => !('refused' in o))) this.afterCommit();
    return outcomes;
  }
}

function held(a: { order: z.infer<typeof OrderJson>; items: z.infer<typeof ItemJson>[]; title: string }) {
  const order = orderFromJson(a.order);
  return { ...order, eventTitle: a.title, items: a.items.map(toOrderItem) } satisfies OrderWithItems;
}

import { z } from 'zod';

/** The queue WebSocket (`/queue/ws?event=<id>`): what the server sends, a union keyed on `type`. */

export const FanStatus = z.enum(['waiting', 'turn', 'parked', 'admitted', 'lapsed']);
export type FanStatus = z.infer<typeof FanStatus>;

/** `in_carts`: every ticket left is held in someone's cart; admission resumes when some come back. */
export const PauseReason = z.enum(['organiser', 'in_carts']);
export type PauseReason = z.infer<typeof PauseReason>;

export const ProgressFields = z.object({
  servingNumber: z.number().int(),
  waiting: z.number().int(),
  parked: z.number().int(),
  admitRatePerMinute: z.number(),
  measuredRatePerMinute: z.number(),
  lastNumber: z.number().int(),
  paused: z.boolean(),
  soldOut: z.boolean(),
  /**
   * When the sale opens (ISO). Nobody gets a turn before it, even after an early
   * close; the page counts down to it while it is in the future. Null when unknown.
   */
  saleStartsAt: z.string().nullable(),
});
export type ProgressFields = z.infer<typeof ProgressFields>;

export const QueueServerMessage = z.discriminatedUnion('type', [
  ProgressFields.extend({
    type: z.literal('hello'),
    eventId: z.string(),
    queueNumber: z.number().int(),
    status: FanStatus,
    /** When a `turn` must be claimed by (ISO); null unless it is the fan's turn. */
    claimBy: z.string().nullable(),
    cancelled: z.boolean(),
    /** Why admission is halted, when it is. */
    pauseReason: PauseReason.nullable(),
    /** Tickets still on sale, when purchase has told us. */
    available: z.number().int().nullable(),
  }),
  ProgressFields.extend({ type: z.literal('progress') }),
  z.object({ type: z.literal('your_turn'), claimBy: z.string() }),
  z.object({ type: z.literal('lapsed') }),
  z.object({ type: z.literal('sold_out') }),
  z.object({ type: z.literal('paused'), reason: PauseReason }),
  z.object({ type: z.literal('resumed') }),
  z.object({ type: z.literal('cancelled') }),
]);
export type QueueServerMessage = z.infer<typeof QueueServerMessage>;
export type QueueMessageType = QueueServerMessage['type'];

import { z } from 'zod';

export const SeatState = z.enum(['available', 'held', 'sold']);
export type SeatState = z.infer<typeof SeatState>;

/** The purchase seat feed (`/purchase/ws?event=<id>`): a greeting, then changed seats as `[unitId, state]`. */
export const SeatFeedMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), eventId: z.string() }),
  z.object({ type: z.literal('seats'), changes: z.array(z.tuple([z.string(), SeatState])) }),
]);
export type SeatFeedMessage = z.infer<typeof SeatFeedMessage>;

import { z } from 'zod';

/** The buffer WebSocket (`/buffer/ws?event=<id>`): state changes of the waiting room. */
export const BufferSocketMessage = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    state: z.enum(['open', 'closing', 'closed']),
    closesAt: z.string(),
    total: z.number().int().nullable(),
  }),
  /** The draw has run: the fan's number can be fetched. */
  z.object({ type: z.literal('assigned') }),
]);
export type BufferSocketMessage = z.infer<typeof BufferSocketMessage>;

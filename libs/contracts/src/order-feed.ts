import { z } from 'zod';

/**
 * One order's feed (`/purchase/ws/orders?order=<id>`, the owner's session cookie): the order's
 * status on connect and after every change, so the payment page learns "tickets issued" (confirmed)
 * or "cancelled" (with the reason, `ORDER_REASONS`) the moment purchase commits it.
 */
export const OrderFeedMessage = z.object({
  type: z.literal('order'),
  orderId: z.string(),
  status: z.enum(['pending_payment', 'confirmed', 'paid', 'expired', 'cancelled', 'failed', 'refunded']),
  reason: z.string().nullable(),
});
export type OrderFeedMessage = z.infer<typeof OrderFeedMessage>;

import { z } from 'zod';
import {
  type ApiRouter,
  clientIp,
  rateLimit,
  sessionGuard,
  sessionOf,
  type TokenVerifier,
} from '@ticketslave/common';
import type { Checkout } from '../domain/checkout';
import type { Settlement } from '../domain/settlement';

const OrderParams = z.object({ id: z.uuid('an order id (UUID)') });
const PaymentView = z
  .object({
    orderId: z.string(),
    eventId: z.string(),
    eventTitle: z.string().nullable(),
    amountMinor: z.number().int(),
    currency: z.string(),
    status: z.enum(['pending', 'authorized', 'captured', 'voided', 'refunded', 'expired', 'failed']),
    expiresAt: z.string(),
    checkoutUrl: z.string().nullable(),
    // Why the payment was voided or failed (a code, e.g. card_limit_exceeded), and the sentence for the fan.
    reason: z.string().nullable(),
    reasonText: z.string().nullable(),
  })
  .meta({ id: 'Payment' });

export interface OrderRouteDeps {
  sessions: TokenVerifier;
  checkout: Checkout;
  settlement: Pick<Settlement, 'confirmReturned'>;
}

export function registerOrderRoutes(api: ApiRouter, deps: OrderRouteDeps): void {
  const fan = sessionGuard(deps.sessions);
  // Keyed by fan (the guard runs first) so many fans behind one NAT do not share a bucket.
  const perFan = (name: string, capacity: number, refillPerSecond: number) =>
    rateLimit({
      name,
      capacity,
      refillPerSecond,
      key: (req) =>
        `${name}:${(req.res?.locals.session as { sub?: string } | undefined)?.sub ?? clientIp(req)}`,
    });
  // Opening sessions at Stripe costs API quota: a handful per minute is plenty for a fan.
  const checkoutLimit = perFan('checkout', 10, 0.2);
  // Each return may cost a Stripe read; a fan comes back from paying a few times at most.
  const returnLimit = perFan('returned', 10, 0.2);

  api.route(
    {
      method: 'get',
      path: '/orders/:id',
      summary: "The fan's payment for an order",
      params: OrderParams,
      response: PaymentView,
      auth: 'session',
      before: [fan],
    },
    ({ params, res }) => deps.checkout.view(params.id, sessionOf(res)),
  );
  api.route(
    {
      method: 'post',
      path: '/orders/:id/checkout',
      summary: 'Open (or reopen) the Stripe Checkout for an order',
      params: OrderParams,
      response: z.object({ url: z.string() }),
      auth: 'session',
      before: [fan, checkoutLimit],
    },
    ({ params, res }) => deps.checkout.start(params.id, sessionOf(res)),
  );
  api.route(
    {
      method: 'post',
      path: '/orders/:id/returned',
      summary:
        "I'm back from paying: payment reads the checkout from Stripe now (not waiting for its webhook) and answers the payment",
      params: OrderParams,
      response: PaymentView,
      auth: 'session',
      before: [fan, returnLimit],
    },
    ({ params, res }) =>
      deps.checkout.returned(params.id, sessionOf(res), (id, session) =>
        deps.settlement.confirmReturned(id, session),
      ),
  );
}

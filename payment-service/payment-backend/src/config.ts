import { baseConfigShape, loadConfig } from '@ticketslave/common';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8085),
  STRIPE_SECRET_KEY: z.string().regex(/^sk_(test|live)_/, 'a Stripe secret key (sk_test_… or sk_live_…)'),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_/, 'a Stripe webhook signing secret (whsec_…)'),
  /** Point the Stripe SDK at the local stand-in; unset talks to api.stripe.com. */
  STRIPE_API_HOST: z.string().optional(),
  STRIPE_API_PORT: z.coerce.number().int().optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  /** Receipts by e-mail; not sent yet, declared so the platform's environment stays valid. */
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().optional(),
  /**
   * How long checkout and the order view wait for an order payment has not heard of yet
   * (order.created is on its way through Kafka) before answering 404.
   */
  ORDER_ARRIVAL_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** purchase's API, for order details (the frontend reads it through the gateway). */
  PURCHASE_API_URL: z.url().optional(),
});
export type PaymentConfig = z.infer<typeof configSchema>;

export const loadPaymentConfig = (env: Record<string, string | undefined> = process.env): PaymentConfig =>
  loadConfig('payment', configSchema.shape, env);

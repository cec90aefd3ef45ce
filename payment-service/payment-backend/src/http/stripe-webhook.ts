import express, { type Express } from 'express';
import { InputError } from '@ticketslave/common';
import type { Settlement } from '../domain/settlement';
import { WebhookSignatureError, type PaymentGateway } from '../stripe/payment-gateway';

export const WEBHOOK_PATH = '/payment/api/stripe/webhook';

/**
 * Mounted before the JSON parser: the signature covers the exact bytes Stripe sent,
 * so the body must reach `constructEvent` untouched. A 2xx tells Stripe to stop;
 * anything else makes it deliver again later.
 */
export function mountStripeWebhook(app: Express, gateway: PaymentGateway, settlement: Settlement): void {
  app.post(
    WEBHOOK_PATH,
    express.raw({ type: 'application/json', limit: '512kb' }),
    async (req, res, next) => {
      try {
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let event;
        try {
          event = gateway.verifyWebhook(raw, req.header('stripe-signature'));
        } catch (err) {
          if (err instanceof WebhookSignatureError) throw new InputError(err.message, [], 'bad_signature');
          throw err;
        }
        await settlement.applyStripeEvent(event);
        res.json({ received: true });
      } catch (err) {
        next(err);
      }
    },
  );
}

import path from 'node:path';
import { outboundCallTimer, startService, type Clock, type RunningService } from '@ticketslave/common';
import type { PaymentConfig } from './config';
import { PaymentRepository } from './data/payment-repository';
import { migrations, sqlFunctions } from './data/schema';
import { Checkout } from './domain/checkout';
import { Settlement } from './domain/settlement';
import { paymentApi } from './http/api';
import { mountStripeWebhook } from './http/stripe-webhook';
import { orderConsumer } from './messaging/order-consumer';
import { StripeGateway } from './stripe/stripe-gateway';

export interface StartPaymentOptions {
  port?: number;
  clock?: Clock;
}

/** Wires the payment service: its API, consumers and background parts on top of the kit. */
export async function startPaymentService(
  config: PaymentConfig,
  opts: StartPaymentOptions = {},
): Promise<RunningService> {
  return startService({
    service: 'payment',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    sqlFunctions: sqlFunctions(),
    frontendDir: path.resolve(__dirname, '../../payment-frontend/dist'),
    wire: (kit) => {
      const repo = new PaymentRepository(kit.ds, kit.wakeOutbox);
      const gateway = new StripeGateway({
        secretKey: config.STRIPE_SECRET_KEY,
        webhookSecret: config.STRIPE_WEBHOOK_SECRET,
        host: config.STRIPE_API_HOST,
        port: config.STRIPE_API_PORT,
        protocol: config.STRIPE_API_PROTOCOL,
        timeCall: outboundCallTimer(kit.registry, 'stripe'),
      });
      const settlement = new Settlement(repo, gateway, kit.logger);
      const checkout = new Checkout(
        repo,
        gateway,
        kit.clock,
        config.PUBLIC_BASE_URL.replace(/\/$/, ''),
        config.ORDER_ARRIVAL_WAIT_MS,
      );
      const api = paymentApi({ sessions: kit.sessions, checkout, settlement });
      return {
        api,
        parts: [orderConsumer({ bus: kit.bus, repo, settlement, gateway })],
        beforeJson: (app) => mountStripeWebhook(app, gateway, settlement),
      };
    },
  });
}

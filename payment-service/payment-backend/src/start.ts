import path from 'node:path';
import { ApiRouter, startService, type Clock, type RunningService } from '@ticketslave/common';
import type { PaymentConfig } from './config';
import { migrations } from './data/migrations';

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
    frontendDir: path.resolve(__dirname, '../../payment-frontend/dist'),
    wire: () => {
      const api = new ApiRouter();
      return {
        api,
      };
    },
  });
}

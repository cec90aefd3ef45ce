import path from 'node:path';
import {
  ApiRouter,
  TokenSigner,
  mountJwks,
  startService,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { PurchaseConfig } from './config';
import { migrations } from './data/migrations';

export interface StartPurchaseOptions {
  port?: number;
  clock?: Clock;
}

/** Wires the purchase service: its API, consumers and background parts on top of the kit. */
export async function startPurchaseService(
  config: PurchaseConfig,
  opts: StartPurchaseOptions = {},
): Promise<RunningService> {
  const signer = await TokenSigner.fromJwks(config.TICKET_SIGNING_JWKS);
  return startService({
    service: 'purchase',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    frontendDir: path.resolve(__dirname, '../../purchase-frontend/dist'),
    wire: () => {
      const api = new ApiRouter();
      return {
        api,
        beforeJson: (app) => mountJwks(app, 'purchase', signer.publicJwks),
      };
    },
  });
}

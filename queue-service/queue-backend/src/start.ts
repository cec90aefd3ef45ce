import path from 'node:path';
import {
  ApiRouter,
  TokenSigner,
  mountJwks,
  startService,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { QueueConfig } from './config';
import { migrations } from './data/migrations';

export interface StartQueueOptions {
  port?: number;
  clock?: Clock;
}

/** Wires the queue service: its API, consumers and background parts on top of the kit. */
export async function startQueueService(
  config: QueueConfig,
  opts: StartQueueOptions = {},
): Promise<RunningService> {
  const signer = await TokenSigner.fromJwks(config.QUEUE_SIGNING_JWKS);
  return startService({
    service: 'queue',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    frontendDir: path.resolve(__dirname, '../../queue-frontend/dist'),
    wire: () => {
      const api = new ApiRouter();
      return {
        api,
        beforeJson: (app) => mountJwks(app, 'queue', signer.publicJwks),
      };
    },
  });
}

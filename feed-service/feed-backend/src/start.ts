import path from 'node:path';
import {
  ApiRouter,
  TokenSigner,
  mountJwks,
  startService,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { FeedConfig } from './config';
import { migrations } from './data/migrations';

export interface StartFeedOptions {
  port?: number;
  clock?: Clock;
}

/** Wires the feed service: its API, consumers and background parts on top of the kit. */
export async function startFeedService(
  config: FeedConfig,
  opts: StartFeedOptions = {},
): Promise<RunningService> {
  const signer = await TokenSigner.fromJwks(config.SESSION_SIGNING_JWKS);
  return startService({
    service: 'feed',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    frontendDir: path.resolve(__dirname, '../../feed-frontend/dist'),
    wire: () => {
      const api = new ApiRouter();
      return {
        api,
        beforeJson: (app) => mountJwks(app, 'feed', signer.publicJwks),
      };
    },
  });
}

import path from 'node:path';
import {
  ApiRouter,
  TokenSigner,
  mountJwks,
  startService,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { BufferConfig } from './config';
import { migrations } from './data/migrations';

export interface StartBufferOptions {
  port?: number;
  clock?: Clock;
}

/** Wires the buffer service: its API, consumers and background parts on top of the kit. */
export async function startBufferService(
  config: BufferConfig,
  opts: StartBufferOptions = {},
): Promise<RunningService> {
  const signer = await TokenSigner.fromJwks(config.BUFFER_SIGNING_JWKS);
  return startService({
    service: 'buffer',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    frontendDir: path.resolve(__dirname, '../../buffer-frontend/dist'),
    wire: () => {
      const api = new ApiRouter();
      return {
        api,
        beforeJson: (app) => mountJwks(app, 'buffer', signer.publicJwks),
      };
    },
  });
}

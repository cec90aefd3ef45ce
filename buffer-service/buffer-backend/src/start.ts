import path from 'node:path';
import {
  TOKENS,
  ProofOfWork,
  TokenSigner,
  mountJwks,
  startService,
  useSecureCookies,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import { DrandBeacon } from './beacon/drand-beacon';
import { beaconChainHash, type BufferConfig } from './config';
import { PgBufferStore } from './data/pg-buffer-store';
import { RecentDraws } from './data/recent-draws';
import { s3FairnessStore } from './data/s3-fairness-store';
import { migrations, sqlFunctions } from './data/schema';
import { BufferDomain } from './domain/buffer';
import { bufferApi } from './http/api';
import { assignmentPublisherPart } from './messaging/assignment-publisher';
import { eventConsumerPart } from './messaging/event-consumer';
import { bufferCloserPart } from './scheduling/buffer-closer';
import { bufferSocketPart } from './ws/buffer-socket';

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
    sqlFunctions: sqlFunctions(),
    frontendDir: path.resolve(__dirname, '../../buffer-frontend/dist'),
    wire: (kit) => {
      const recent = new RecentDraws();
      const publisher = assignmentPublisherPart({ ds: kit.ds, bus: kit.bus, logger: kit.logger, recent });
      const store = new PgBufferStore(kit.ds, () => publisher.nudge(), recent);
      const beacon = new DrandBeacon(config.BEACON_URL, {
        timeoutMs: config.BEACON_TIMEOUT_MS,
        chainHash: beaconChainHash(config),
        logger: kit.logger,
      });
      const pow = new ProofOfWork(kit.ds, {
        hmacKey: config.POW_HMAC_KEY,
        ttlSeconds: config.POW_TTL_SECONDS,
        clock: kit.clock,
      });
      const domain = new BufferDomain(
        store,
        signer,
        beacon,
        kit.clock,
        {
          issuer: TOKENS.joinReceipt.issuer,
          jwksUrl: new URL('/buffer/.well-known/jwks.json', config.PUBLIC_BASE_URL).href,
          keys: signer.publicJwks.keys,
        },
        s3FairnessStore(config),
        pow,
      );
      const api = bufferApi({
        domain,
        sessions: kit.sessions,
        cookieSecure: useSecureCookies(config),
      });
      return {
        api,
        // The publisher and the closer start first: joining the consumer group can wait out
        // a crashed predecessor's session (30 s), and an interrupted close must not wait with it.
        parts: [
          publisher,
          bufferCloserPart({
            store,
            domain,
            clock: kit.clock,
            logger: kit.logger,
            tickMs: config.BUFFER_CLOSE_TICK_MS,
          }),
          // Stopped before the closer (parts stop in reverse): a close waiting for the beacon gives up at once.
          { name: 'beacon', start: async () => undefined, stop: async () => beacon.stop() },
          eventConsumerPart({ bus: kit.bus, ds: kit.ds, store }),
          bufferSocketPart({
            upgrades: kit.upgrades,
            logger: kit.logger,
            store,
            allowedOrigins: [config.PUBLIC_BASE_URL],
          }),
        ],
        beforeJson: (app) => mountJwks(app, 'buffer', signer.publicJwks),
      };
    },
  });
}

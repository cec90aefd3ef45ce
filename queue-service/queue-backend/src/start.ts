import path from 'node:path';
import {
  emfReporter,
  TokenSigner,
  TokenVerifier,
  mountJwks,
  queryOne,
  startService,
  useSecureCookies,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { QueueConfig } from './config';
import { migrations } from './data/migrations';
import { queueApi } from './http/api';
import { admitter } from './messaging/admitter';
import { kafkaGroupDeleter, progressConsumer } from './messaging/progress-consumer';
import { stateConsumer } from './messaging/state-consumer';
import { fanSignalListener } from './ws/fan-signal-listener';
import { presenceHeartbeat } from './ws/presence-heartbeat';
import { ProgressRelay } from './ws/progress-relay';
import { queueSocket } from './ws/queue-socket';
import { SocketHub } from './ws/socket-hub';

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
  const tickets = new TokenVerifier(config.BUFFER_JWKS_URL);
  void tickets.warm(); // buffer's keys up front: a buffer restart later does not fail admissions
  return startService({
    service: 'queue',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    frontendDir: path.resolve(__dirname, '../../queue-frontend/dist'),
    wire: (kit) => {
      const { ds, bus, logger } = kit;
      const minClaimSeconds = config.QUEUE_MIN_CLAIM_SECONDS;
      const api = queueApi({
        fans: {
          ds,
          sessions: kit.sessions,
          tickets,
          signer,
          secureCookies: useSecureCookies(config),
          minClaimSeconds,
          nearTurnLeadSeconds: config.QUEUE_NEAR_TURN_LEAD_SECONDS,
        },
        organisers: { ds, sessions: kit.sessions },
      });

      const hub = new SocketHub();
      const relay = new ProgressRelay(
        hub,
        async (eventId) => {
          const row = await queryOne<{ paused: boolean }>(
            ds,
            `SELECT paused FROM queue_events WHERE event_id = $1`,
            [eventId],
          );
          return row?.paused ? 'organiser' : 'in_carts';
        },
        async (eventId) => {
          const row = await queryOne<{ sale_starts_at: Date | null }>(
            ds,
            `SELECT sale_starts_at FROM queue_events WHERE event_id = $1`,
            [eventId],
          );
          return row?.sale_starts_at ? new Date(row.sale_starts_at).toISOString() : null;
        },
      );
      return {
        api,
        // Signals first so no turn committed after the socket opens is missed; the admitter last.
        parts: [
          ...(config.CLOUDWATCH_METRICS_SERVICE
            ? [
                emfReporter({
                  namespace: config.CLOUDWATCH_METRICS_NAMESPACE,
                  dimensions: { Service: config.CLOUDWATCH_METRICS_SERVICE },
                  everyMs: 60_000,
                  sample: () => ({ WebSocketConnections: { value: hub.size, unit: 'Count' } }),
                }),
              ]
            : []),
          fanSignalListener({ databaseUrl: config.DATABASE_URL, hub, logger }),
          queueSocket({
            ds,
            upgrades: kit.upgrades,
            logger,
            publicBaseUrl: config.PUBLIC_BASE_URL,
            tickets,
            hub,
            progress: relay,
            minClaimSeconds,
          }),
          presenceHeartbeat({
            ds,
            hub,
            logger,
            everyMs: config.QUEUE_PRESENCE_HEARTBEAT_MS,
            minClaimSeconds,
          }),
          progressConsumer(bus, relay, kafkaGroupDeleter(config, logger)),
          stateConsumer(ds, bus),
          admitter({
            ds,
            bus,
            logger,
            tickMs: config.QUEUE_TICK_MS,
            tick: {
              minClaimSeconds,
              tickMs: config.QUEUE_TICK_MS,
              nearTurnLeadSeconds: config.QUEUE_NEAR_TURN_LEAD_SECONDS,
            },
          }),
        ],
        beforeJson: (app) => mountJwks(app, 'queue', signer.publicJwks),
      };
    },
  });
}

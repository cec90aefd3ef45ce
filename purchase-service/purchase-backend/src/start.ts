import path from 'node:path';
import {
  concurrentParts,
  TokenSigner,
  TokenVerifier,
  mountJwks,
  preparedStatements,
  startService,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import type { PurchaseConfig } from './config';
import { PgHoldStore } from './data/hold-store';
import { purchaseStore, transact } from './data/purchase-store';
import { migrations, sqlFunctions } from './data/schema';
import { AuthorizationHorizon, sweepExpiredHolds } from './domain/holds';
import { publishInventoryChanges } from './domain/inventory-publisher';
import { TicketCodes } from './domain/ticket-codes';
import { purchaseApi } from './http/api';
import { PgOrderLedger } from './data/order-ledger';
import { eventConsumer, PAYMENT_GROUP, paymentConsumer, queueMailConsumer } from './messaging/consumers';
import { mailSender } from './messaging/mail-sender';
import { Mailer } from './messaging/mailer';
import { periodic } from './messaging/periodic';
import { orderChangeNotifier, orderFeed } from './ws/order-feed';
import { seatFeed } from './ws/seat-feed';

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
  const codes = new TicketCodes(signer);
  return startService({
    service: 'purchase',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    sqlFunctions: sqlFunctions(),
    frontendDir: path.resolve(__dirname, '../../purchase-frontend/dist'),
    wire: (kit) => {
      const tx = transact(kit.ds);
      const store = purchaseStore(kit.ds);
      // Queue's keys fetched at start: a queue restart later does not turn holds into 503s.
      const admissions = new TokenVerifier(config.QUEUE_JWKS_URL);
      void admissions.warm();
      const api = purchaseApi({
        fans: {
          store,
          tx,
          clock: kit.clock,
          sessions: kit.sessions,
          admissions,
          codes,
          publicBaseUrl: config.PUBLIC_BASE_URL,
          wallet: config.WALLET_PASS_SIGNING,
          holds: new PgHoldStore(preparedStatements(kit.ds), kit.clock, kit.wakeOutbox),
        },
        organisers: { store, tx, ledger: new PgOrderLedger(kit.ds), codes, sessions: kit.sessions },
        door: { store, tx, clock: kit.clock, codes, sessions: kit.sessions },
      });
      let lastBehindLog = 0;
      const authorizations = new AuthorizationHorizon(
        () => kit.bus.progress(PAYMENT_GROUP, 'payment.authorized'),
        kit.clock,
      );
      const mailer = new Mailer(config.SMTP_URL, config.MAIL_FROM, config.PUBLIC_BASE_URL);
      const mails = mailSender(kit.ds, mailer, kit.logger);
      return {
        api,
        parts: [
          mails,
          concurrentParts('consumers', [
            eventConsumer(kit),
            queueMailConsumer(kit, () => mails.wake()),
            paymentConsumer(
              kit,
              { codes, clock: kit.clock },
              () => mails.wake(),
              orderChangeNotifier(kit.ds, kit.logger),
            ),
          ]),
          periodic(
            'hold-sweeper',
            config.SWEEP_INTERVAL_MS,
            () =>
              sweepExpiredHolds(tx, kit.clock, {
                horizon: async () => {
                  const at = await authorizations.horizon();
                  const behindMs = kit.clock.now().getTime() - (at?.getTime() ?? 0);
                  if (behindMs > 10_000 && Date.now() - lastBehindLog > 10_000) {
                    lastBehindLog = Date.now();
                    kit.logger.warn(
                      { horizon: at?.toISOString() ?? null, behindMs },
                      'hold expiry waits for card authorizations purchase has not read yet',
                    );
                  }
                  return at;
                },
              }),
            kit.logger,
          ),
          periodic(
            'inventory-publisher',
            config.INVENTORY_PUBLISH_MS,
            () => publishInventoryChanges(tx),
            kit.logger,
          ),
          ...orderFeed({
            orders: store.orders,
            sessions: kit.sessions,
            databaseUrl: config.DATABASE_URL,
            upgrades: kit.upgrades,
            logger: kit.logger,
            allowedOrigins: [config.PUBLIC_BASE_URL],
          }),
          ...seatFeed({
            units: store.units,
            eventExists: async (eventId) => (await store.events.get(eventId)) !== undefined,
            upgrades: kit.upgrades,
            logger: kit.logger,
            allowedOrigins: [config.PUBLIC_BASE_URL],
            pollMs: config.SEAT_POLL_MS,
          }),
        ],
        beforeJson: (app) => mountJwks(app, 'purchase', signer.publicJwks),
      };
    },
  });
}

import path from 'node:path';
import {
  ProofOfWork,
  TokenSigner,
  TokenVerifier,
  mountJwks,
  startService,
  useSecureCookies,
  type Clock,
  type RunningService,
} from '@ticketslave/common';
import { smtpMailer } from './adapters/smtp-mailer';
import type { FeedConfig } from './config';
import { PgAccountStore } from './data/accounts-repo';
import { SharedLoginThrottle } from './data/login-throttle';
import { migrations, sqlFunctions } from './data/schema';
import { Accounts } from './domain/accounts';
import { argon2Hasher } from './domain/passwords';
import { feedApi } from './http/api';
import { s3PosterStore } from './adapters/poster-store';
import { PgEventStore } from './data/events-repo';
import { PgPublicEventStore } from './data/public-events-repo';
import { OrganiserEvents } from './domain/organiser-events';
import { PublicEvents } from './domain/public-events';
import { authPipeline } from './http/auth';
import { mountGoogleLogin } from './http/google-routes';
import { mountPosterUpload } from './http/event-routes';
import { eventStatsConsumer } from './messaging/stats-consumer';
import { PageCache } from './http/page-cache';
import { PgOrganisationStore } from './data/organisations-repo';
import { Organisations } from './domain/organisations';
import { Onboarding } from './domain/onboarding';

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
  // Feed issues sessions, so it checks them against its own keys instead of fetching its JWKS.
  const sessions = new TokenVerifier(signer.publicJwks);
  const secureCookies = useSecureCookies(config);
  return startService({
    service: 'feed',
    config,
    port: opts.port ?? config.PORT,
    clock: opts.clock,
    migrations,
    sqlFunctions: sqlFunctions(),
    frontendDir: path.resolve(__dirname, '../../feed-frontend/dist'),
    wire: (kit) => {
      const mailer = smtpMailer(config.SMTP_URL, config.MAIL_FROM);
      const accounts = new Accounts({
        store: new PgAccountStore(kit.ds),
        throttle: new SharedLoginThrottle(kit.rateLimits),
        hasher: argon2Hasher(config.ARGON2_MEMORY_KIB, config.ARGON2_CONCURRENCY),
        mailer,
        signer,
        clock: kit.clock,
        logger: kit.logger,
        publicBaseUrl: config.PUBLIC_BASE_URL,
      });
      const auth = authPipeline({ config, accounts });
      // Rendered public pages; every committed change to events or their stats here drops them.
      const pages = new PageCache({
        maxAgeMs: config.FEED_CACHE_MAX_AGE_MS,
        now: () => kit.clock.now().getTime(),
      });
      const dropPages = () => pages.invalidate();
      const orgStore = new PgOrganisationStore(kit.ds);
      const teamDeps = {
        store: orgStore,
        mailer,
        clock: kit.clock,
        logger: kit.logger,
        publicBaseUrl: config.PUBLIC_BASE_URL,
      };
      const organisations = new Organisations(teamDeps);
      const organiser = new OrganiserEvents(new PgEventStore(kit.ds, dropPages), orgStore, kit.clock);
      const publicEvents = new PublicEvents(new PgPublicEventStore(kit.ds), kit.clock);
      const api = feedApi({
        accounts: {
          accounts,
          auth,
          sessions,
          clock: kit.clock,
          secureCookies,
          pow: new ProofOfWork(kit.ds, {
            hmacKey: config.POW_HMAC_KEY,
            ttlSeconds: config.POW_TTL_SECONDS,
            clock: kit.clock,
          }),
          registerPowMaxNumber: config.REGISTER_POW_MAX_NUMBER,
        },
        organisations: { organisations, onboarding: new Onboarding(teamDeps), sessions },
        events: { organiser, publicEvents, sessions, pages },
      });
      const posters = s3PosterStore(config);
      return {
        api,
        parts: [
          mailer,
          eventStatsConsumer(kit, dropPages),
          {
            // Organisations changed without an announcement (the migration made one per organiser).
            name: 'organisation-announcer',
            start: async () => {
              const n = await organisations.announcePending();
              if (n) kit.logger.info({ organisations: n }, 'organisations announced');
            },
            stop: () => Promise.resolve(),
          },
        ],
        beforeJson: (app) => {
          mountJwks(app, 'feed', signer.publicJwks);
          mountGoogleLogin(app, { config, accounts, auth, clock: kit.clock, secureCookies });
          mountPosterUpload(app, {
            organiser,
            sessions,
            posters,
            allowedOrigin: new URL(config.PUBLIC_BASE_URL).origin,
          });
        },
      };
    },
  });
}

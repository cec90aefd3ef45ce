import { ConfigError, generateSigningJwks } from '@ticketslave/common';
import { serviceEnv } from '@ticketslave/dev/platform/service-env';
import { loadPaymentConfig } from './config';

describe('loadPaymentConfig', () => {
  it("accepts the local platform's environment for payment and points Stripe at the stand-in", async () => {
    const set = await generateSigningJwks('k');
    const env = serviceEnv(
      'payment',
      {
        session: set,
        buffer: set,
        queue: set,
        ticket: set,
        stripeWebhookSecret: 'whsec_dev',
        originSecret: 'dev-origin-secret-0001',
        pow: { feed: 'feed-pow-key', buffer: 'buffer-pow-key' },
      },
      {
        databaseUrls: {
          feed: 'postgres://f:p@127.0.0.1:5432/ts',
          buffer: 'postgres://b:p@127.0.0.1:5432/ts',
          queue: 'postgres://q:p@127.0.0.1:5432/ts',
          purchase: 'postgres://pu:p@127.0.0.1:5432/ts',
          payment: 'postgres://u:p@127.0.0.1:5432/ts',
        },
        kafkaBrokers: ['127.0.0.1:9092'],
        publicBaseUrl: 'http://localhost:8080',
        localDir: '/tmp',
      },
    );
    const config = loadPaymentConfig(env);
    expect(config).toMatchObject({
      PORT: 8085,
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PROTOCOL: 'http',
      STRIPE_WEBHOOK_SECRET: 'whsec_dev',
    });
  });

  it('names every bad Stripe variable at once', () => {
    let error: unknown;
    try {
      loadPaymentConfig({
        DATABASE_URL: 'postgres://x@h/db',
        KAFKA_BROKERS: 'h:1',
        STRIPE_SECRET_KEY: 'pk_live_x',
        STRIPE_WEBHOOK_SECRET: 'nope',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(
      /STRIPE_SECRET_KEY[\s\S]*STRIPE_WEBHOOK_SECRET/,
    );
  });
});

import path from 'node:path';
import type { DevSecrets } from './keys';
import { SERVICE_PORTS, STRIPE_PORT, type ServiceName } from './paths';
import { STANDIN_PORTS } from '../standins';
import { DEV_OIDC_CLIENT } from '../standins/oidc';

/** The origin secret's header name, as Terraform configures it on CloudFront and the ALB. */
export const ORIGIN_SECRET_HEADER = 'X-Origin-Secret';

export interface PlatformEndpoints {
  /** Each service's database URL: its own role (database-roles.ts). */
  databaseUrls: Record<ServiceName, string>;
  kafkaBrokers: string[];
  publicBaseUrl: string;
  localDir: string;
  topicPrefix?: string;
  /** Each service's own SCRAM login on a broker with ACLs (dev/kafka/users.ts); unset: a plain broker. */
  kafkaLogins?: Record<ServiceName, { username: string; password: string }>;
  ports?: Partial<Record<ServiceName, number>>;
  standinPorts?: Partial<typeof STANDIN_PORTS> & { stripe?: number };
}

/** A service's Kafka login as its environment, the variables AWS sets too (issue 17.13). */
export function kafkaLoginEnv(
  login: { username: string; password: string } | undefined,
): Record<string, string> {
  if (!login) return {};
  return {
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: login.username,
    KAFKA_SASL_PASSWORD: login.password,
  };
}

/** The environment of each service on the local platform (every variable is in README.md). */
export function serviceEnv(
  svc: ServiceName,
  secrets: DevSecrets,
  p: PlatformEndpoints,
): Record<string, string> {
  const ports = { ...SERVICE_PORTS, ...p.ports };
  const sp = { ...STANDIN_PORTS, stripe: STRIPE_PORT, ...p.standinPorts };
  const local = (port: number, pathname: string) => `http://127.0.0.1:${port}${pathname}`;
  const common: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    HOST: '127.0.0.1',
    PORT: String(ports[svc]),
    DATABASE_URL: p.databaseUrls[svc],
    KAFKA_BROKERS: p.kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: p.topicPrefix ?? '',
    ...kafkaLoginEnv(p.kafkaLogins?.[svc]),
    PUBLIC_BASE_URL: p.publicBaseUrl,
    FEED_JWKS_URL: local(ports.feed, '/feed/.well-known/jwks.json'),
    COOKIE_SECURE: 'false',
    // The gateway adds this header as our CloudFront distribution does (client addresses).
    ORIGIN_SECRET_HEADER: ORIGIN_SECRET_HEADER,
    ORIGIN_SECRETS: secrets.originSecret,
  };
  switch (svc) {
    case 'feed':
      return {
        ...common,
        SESSION_SIGNING_JWKS: JSON.stringify(secrets.session),
        POW_HMAC_KEY: secrets.pow.feed,
        SMTP_URL: `smtp://127.0.0.1:${sp.smtp}`,
        MAIL_FROM: 'TicketSlave <no-reply@ticketslave.local>',
        S3_ENDPOINT: `http://127.0.0.1:${sp.s3}`,
        S3_REGION: 'us-east-1',
        S3_BUCKET_IMAGES: 'ticketslave-images',
        S3_PUBLIC_BASE_URL: `http://localhost:${sp.s3}/ticketslave-images`,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
        GOOGLE_CLIENT_ID: DEV_OIDC_CLIENT.clientId,
        GOOGLE_CLIENT_SECRET: DEV_OIDC_CLIENT.clientSecret,
        GOOGLE_AUTH_URL: `http://localhost:${sp.oidc}/o/oauth2/v2/auth`,
        GOOGLE_TOKEN_URL: local(sp.oidc, '/token'),
        GOOGLE_USERINFO_URL: local(sp.oidc, '/oauth2/v3/userinfo'),
        BUFFER_API_URL: local(ports.buffer, '/buffer/api'),
        QUEUE_API_URL: local(ports.queue, '/queue/api'),
        PURCHASE_API_URL: local(ports.purchase, '/purchase/api'),
      };
    case 'buffer':
      return {
        ...common,
        BUFFER_SIGNING_JWKS: JSON.stringify(secrets.buffer),
        POW_HMAC_KEY: secrets.pow.buffer,
        BEACON_URL: local(sp.beacon, ''),
        S3_ENDPOINT: `http://127.0.0.1:${sp.s3}`,
        S3_REGION: 'us-east-1',
        S3_BUCKET_FAIRNESS: 'ticketslave-fairness',
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: 'S3RVER',
        S3_SECRET_ACCESS_KEY: 'S3RVER',
      };
    case 'queue':
      return {
        ...common,
        QUEUE_SIGNING_JWKS: JSON.stringify(secrets.queue),
        BUFFER_JWKS_URL: local(ports.buffer, '/buffer/.well-known/jwks.json'),
      };
    case 'purchase':
      return {
        ...common,
        TICKET_SIGNING_JWKS: JSON.stringify(secrets.ticket),
        ...(secrets.wallet ? { WALLET_PASS_SIGNING: JSON.stringify(secrets.wallet) } : {}),
        QUEUE_JWKS_URL: local(ports.queue, '/queue/.well-known/jwks.json'),
        SMTP_URL: `smtp://127.0.0.1:${sp.smtp}`,
        MAIL_FROM: 'TicketSlave <tickets@ticketslave.local>',
      };
    case 'payment':
      return {
        ...common,
        STRIPE_SECRET_KEY: 'sk_test_ticketslave_standin',
        STRIPE_WEBHOOK_SECRET: secrets.stripeWebhookSecret,
        STRIPE_API_HOST: '127.0.0.1',
        STRIPE_API_PORT: String(sp.stripe),
        STRIPE_API_PROTOCOL: 'http',
        SMTP_URL: `smtp://127.0.0.1:${sp.smtp}`,
        MAIL_FROM: 'TicketSlave <payments@ticketslave.local>',
        PURCHASE_API_URL: local(ports.purchase, '/purchase/api'),
      };
  }
}

export const serviceLogFile = (localDir: string, svc: string) => path.join(localDir, 'logs', `${svc}.log`);

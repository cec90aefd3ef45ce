import {
  baseConfigShape,
  requiredInProduction,
  envBool,
  jsonEnv,
  loadConfig,
  powConfigShape,
  PrivateJwkSet,
} from '@ticketslave/common';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  ...powConfigShape,
  /**
   * Difficulty of registration's proof of work (ALTCHA maxnumber: a browser tries half of it on
   * average, ~0.3 s on a phone at 100,000; checking costs us one hash). A script signing up
   * thousands of accounts pays it thousands of times.
   */
  REGISTER_POW_MAX_NUMBER: z.coerce.number().int().min(1000).max(10_000_000).default(100_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  /** Ed25519 JWK set signing sessions; the first key signs, all verify. */
  SESSION_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  /** Where account mail goes (nodemailer URL, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@host). */
  SMTP_URL: z.url({ protocol: /^smtps?$/ }),
  MAIL_FROM: requiredInProduction(z.string().min(3).default('TicketSlave <no-reply@ticketslave.local>')),
  /** argon2id memory in KiB; OWASP's 19 MiB keeps a login storm from exhausting RAM. */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8192).max(262144).default(19456),
  /** Password hashes computed at once; by default one core is left to everything else. */
  ARGON2_CONCURRENCY: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(Math.max(1, availableParallelism() - 1)),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET_IMAGES: z.string().min(3).default('ticketslave-images'),
  /** Public prefix of uploaded images (CloudFront in production, the stand-in in dev). */
  S3_PUBLIC_BASE_URL: requiredInProduction(z.url().optional()),
  S3_FORCE_PATH_STYLE: envBool.default(false),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Google login is offered only when the client id and secret are set. */
  GOOGLE_CLIENT_ID: z.string().optional(),
  GOOGLE_CLIENT_SECRET: z.string().optional(),
  GOOGLE_AUTH_URL: z.url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  GOOGLE_USERINFO_URL: z.url().default('https://www.googleapis.com/oauth2/v3/userinfo'),
  /**
   * How long the public list and event pages may be served from memory without a read (ms;
   * 0 = no cache). Changes made through this instance or consumed by it drop them at once;
   * this bounds how stale a change made through another instance can look here.
   */
  FEED_CACHE_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  BUFFER_API_URL: z.url().optional(),
  QUEUE_API_URL: z.url().optional(),
  PURCHASE_API_URL: z.url().optional(),
});
export type FeedConfig = z.infer<typeof configSchema>;

export const loadFeedConfig = (env: Record<string, string | undefined> = process.env): FeedConfig =>
  loadConfig('feed', configSchema.shape, env);

/** The admin command needs only the database (`node dist/main.js admin …`, `npm run admin -- …`). */
export const loadAdminConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig('feed admin', { DATABASE_URL: baseConfigShape.DATABASE_URL }, env);

/**
 * `provision-db-roles` (the database bootstrap task): the master user's DATABASE_URL and each
 * service role's password, from that role's own secret.
 */
export const loadDbRolesConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(
    'provision-db-roles',
    {
      DATABASE_URL: baseConfigShape.DATABASE_URL,
      DB_ROLE_PASSWORD_FEED: z.string().min(16),
      DB_ROLE_PASSWORD_BUFFER: z.string().min(16),
      DB_ROLE_PASSWORD_QUEUE: z.string().min(16),
      DB_ROLE_PASSWORD_PURCHASE: z.string().min(16),
      DB_ROLE_PASSWORD_PAYMENT: z.string().min(16),
    },
    env,
  );

/**
 * `provision-kafka-acls` (the Kafka half of the bootstrap task): the brokers and the ACL-making
 * SCRAM user's login (MSK's `AmazonMSK_…_app` secret). `KAFKA_TOPIC_PREFIX` prefixes the topics
 * and groups of the ACLs ('' in production, a test's own prefix in tests).
 */
export const loadKafkaAclsConfig = (env: Record<string, string | undefined> = process.env) =>
  loadConfig(
    'provision-kafka-acls',
    {
      KAFKA_BROKERS: baseConfigShape.KAFKA_BROKERS,
      KAFKA_TOPIC_PREFIX: baseConfigShape.KAFKA_TOPIC_PREFIX,
      KAFKA_SSL: baseConfigShape.KAFKA_SSL,
      KAFKA_SASL_MECHANISM: z.enum(['scram-sha-256', 'scram-sha-512']),
      KAFKA_SASL_USERNAME: z.string().min(1),
      KAFKA_SASL_PASSWORD: z.string().min(1),
    },
    env,
  );

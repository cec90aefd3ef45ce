import {
  baseConfigShape,
  envBool,
  jsonEnv,
  loadConfig,
  powConfigShape,
  PrivateJwkSet,
} from '@ticketslave/common';
import { DRAND_QUICKNET, DRAND_QUICKNET_URL } from '@ticketslave/draw';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  ...powConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  /** Ed25519 JWK set signing join receipts and queue tickets. */
  BUFFER_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  /**
   * The drand beacon (its HTTP API): drand's public quicknet unless set (the local stand-in on
   * the dev platform). A close never draws without its verified round.
   */
  BEACON_URL: z.url().default(DRAND_QUICKNET_URL),
  /**
   * The chain the beacon must serve (its chain hash). Defaults to quicknet's when BEACON_URL is
   * left at drand's; otherwise the chain first seen is kept for the life of the process.
   */
  BEACON_CHAIN_HASH: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a drand chain hash: 64 lowercase hex characters')
    .optional(),
  /** How long one close attempt waits for the beacon round (and retries a beacon that is down) before the next tick retries. */
  BEACON_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** Where fairness documents are stored once built (S3; the S3 stand-in locally). */
  S3_BUCKET_FAIRNESS: z.string().min(3).default('ticketslave-fairness'),
  /**
   * Where the stored documents are publicly readable, their object keys appended (CloudFront's
   * `/fairness/*` behaviour in AWS: the public base URL; the S3 stand-in's bucket URL in dev).
   * Set, the fairness route redirects there and the buffer serves no document bytes at all;
   * unset, it streams them from the bucket itself.
   */
  FAIRNESS_PUBLIC_BASE_URL: z.url().optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_FORCE_PATH_STYLE: envBool.default(false),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** How often each instance looks for buffers due to close. */
  BUFFER_CLOSE_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(500),
});
export type BufferConfig = z.infer<typeof configSchema>;

export const loadBufferConfig = (env: Record<string, string | undefined> = process.env): BufferConfig =>
  loadConfig('buffer', configSchema.shape, env);

/** The chain hash the buffer pins: the configured one, else quicknet's when the beacon is drand's own. */
export const beaconChainHash = (config: BufferConfig): string | undefined =>
  config.BEACON_CHAIN_HASH ??
  (config.BEACON_URL.replace(/\/$/, '') === DRAND_QUICKNET_URL ? DRAND_QUICKNET.hash : undefined);

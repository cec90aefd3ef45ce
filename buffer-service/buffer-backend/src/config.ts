import { baseConfigShape, jsonEnv, loadConfig, PrivateJwkSet } from '@ticketslave/common';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  /** Ed25519 JWK set signing join receipts and queue tickets. */
  BUFFER_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  /** drand-compatible randomness beacon; unset means no beacon (the fairness page says so). */
  BEACON_URL: z.url().optional(),
  /** How long a close waits for the beacon's next round before retrying on the next tick. */
  BEACON_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
  /** How often each instance looks for buffers due to close. */
  BUFFER_CLOSE_TICK_MS: z.coerce.number().int().min(50).max(60_000).default(500),
});
export type BufferConfig = z.infer<typeof configSchema>;

export const loadBufferConfig = (env: Record<string, string | undefined> = process.env): BufferConfig =>
  loadConfig('buffer', configSchema.shape, env);

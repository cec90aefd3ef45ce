import { baseConfigShape, jsonEnv, loadConfig, PrivateJwkSet } from '@ticketslave/common';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8083),
  /** Ed25519 JWK set signing admission tokens. */
  QUEUE_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  BUFFER_JWKS_URL: z.url().default('http://127.0.0.1:8082/buffer/.well-known/jwks.json'),
});
export type QueueConfig = z.infer<typeof configSchema>;

export const loadQueueConfig = (env: Record<string, string | undefined> = process.env): QueueConfig =>
  loadConfig('queue', configSchema.shape, env);

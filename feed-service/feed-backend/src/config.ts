import { baseConfigShape, jsonEnv, loadConfig, PrivateJwkSet } from '@ticketslave/common';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  /** Ed25519 JWK set signing sessions; the first key signs, all verify. */
  SESSION_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
});
export type FeedConfig = z.infer<typeof configSchema>;

export const loadFeedConfig = (env: Record<string, string | undefined> = process.env): FeedConfig =>
  loadConfig('feed', configSchema.shape, env);

import { baseConfigShape, jsonEnv, loadConfig, PrivateJwkSet } from '@ticketslave/common';
import { z } from 'zod';

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8084),
  /** Ed25519 JWK set signing ticket QR codes. */
  TICKET_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  QUEUE_JWKS_URL: z.url().default('http://127.0.0.1:8083/queue/.well-known/jwks.json'),
});
export type PurchaseConfig = z.infer<typeof configSchema>;

export const loadPurchaseConfig = (env: Record<string, string | undefined> = process.env): PurchaseConfig =>
  loadConfig('purchase', configSchema.shape, env);

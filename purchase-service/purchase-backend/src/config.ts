import {
  baseConfigShape,
  envBool,
  requiredInProduction,
  jsonEnv,
  loadConfig,
  PrivateJwkSet,
} from '@ticketslave/common';
import { z } from 'zod';

const pem = (kind: string) => z.string().includes(`-----BEGIN ${kind}`, { message: `a PEM ${kind}` });

/**
 * Apple Wallet passes (docs/operations.md, "Apple Wallet passes"): the Pass Type ID, the team,
 * the pass certificate Apple issued with its private key, and Apple's WWDR intermediate, all
 * PEM. Unset, the tickets page offers no pass and the route answers 503.
 */
export const WalletSigningConfig = z
  .object({
    passTypeIdentifier: z.string().regex(/^pass\.[A-Za-z0-9.-]+$/, 'pass.<reverse domain>'),
    teamIdentifier: z.string().regex(/^[A-Z0-9]{4,20}$/, "Apple's team id"),
    organizationName: z.string().min(1).default('TicketSlave'),
    signerCert: pem('CERTIFICATE'),
    signerKey: z.string().regex(/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY/, 'a PEM private key'),
    signerKeyPassphrase: z.string().optional(),
    wwdr: pem('CERTIFICATE'),
  })
  .strict();

export const configSchema = z.object({
  ...baseConfigShape,
  PORT: z.coerce.number().int().min(0).max(65535).default(8084),
  /** Ed25519 JWK set signing ticket QR codes. */
  TICKET_SIGNING_JWKS: jsonEnv(PrivateJwkSet),
  QUEUE_JWKS_URL: requiredInProduction(z.url().default('http://127.0.0.1:8083/queue/.well-known/jwks.json')),
  /** Confirmation e-mails go out only when this is set (in production it must be). */
  SMTP_URL: requiredInProduction(z.url({ protocol: /^smtps?$/ }).optional()),
  MAIL_FROM: requiredInProduction(z.string().default('TicketSlave <tickets@ticketslave.local>')),
  /** How often the hold sweeper looks for lapsed holds. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  /** How often inventory.changed is published at most, per event. */
  INVENTORY_PUBLISH_MS: z.coerce.number().int().min(10).default(1000),
  /** How often live seat maps poll the database for changes. */
  SEAT_POLL_MS: z.coerce.number().int().min(10).default(500),
  /**
   * One card, one fan's share (issue 17.8): an authorization whose card already bought the
   * event's per-fan limit is cancelled. On by default; load tests against Stripe's test mode
   * turn it off, since every simulated fan pays with the same test card (one fingerprint).
   */
  CARD_LIMIT_PER_EVENT: envBool.default(true),
  /** JSON (WalletSigningConfig): signs Apple Wallet passes. Optional everywhere: no passes without it. */
  WALLET_PASS_SIGNING: jsonEnv(WalletSigningConfig).optional(),
});
export type PurchaseConfig = z.infer<typeof configSchema>;

export const loadPurchaseConfig = (env: Record<string, string | undefined> = process.env): PurchaseConfig =>
  loadConfig('purchase', configSchema.shape, env);

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningJwks, type PrivateJwkSet } from '@ticketslave/common';
import { makeWalletCertificates, type WalletCertificates } from '../test-support/wallet';

export interface DevSecrets {
  session: PrivateJwkSet;
  buffer: PrivateJwkSet;
  queue: PrivateJwkSet;
  ticket: PrivateJwkSet;
  stripeWebhookSecret: string;
  /** What the gateway adds as CloudFront's origin secret header (ORIGIN_SECRETS of the services). */
  originSecret: string;
  /** HMAC secrets of the proof-of-work challenges, one per service that asks for one. */
  pow: { feed: string; buffer: string };
  /** Signs purchase's Apple Wallet passes: a local CA and pass certificate (not Apple's); unset, no passes. */
  wallet?: WalletCertificates;
}

/**
 * Dev signing keys, generated once into `.local/keys` and reused on every start, so
 * a restart logs nobody out and old tickets still verify (never generated per process).
 */
export async function ensureDevSecrets(dir: string): Promise<DevSecrets> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const jwks = async (name: string): Promise<PrivateJwkSet> => {
    const file = path.join(dir, `${name}.jwks.json`);
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as PrivateJwkSet;
    const set = await generateSigningJwks(`${name}-${new Date().toISOString().slice(0, 10)}`);
    writeFileSync(file, JSON.stringify(set), { mode: 0o600 });
    return set;
  };
  const secret = (name: string, make: () => string): string => {
    const file = path.join(dir, name);
    if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
    return readFileSync(file, 'utf8').trim();
  };
  const wallet = (): WalletCertificates => {
    const file = path.join(dir, 'wallet-pass-signing.json');
    if (!existsSync(file)) writeFileSync(file, JSON.stringify(makeWalletCertificates()), { mode: 0o600 });
    return JSON.parse(readFileSync(file, 'utf8')) as WalletCertificates;
  };
  return {
    session: await jwks('session'),
    buffer: await jwks('buffer'),
    queue: await jwks('queue'),
    ticket: await jwks('ticket'),
    stripeWebhookSecret: secret('stripe-webhook-secret', () => `whsec_${randomBytes(24).toString('hex')}`),
    originSecret: secret('origin-secret', () => randomBytes(24).toString('base64url')),
    pow: {
      feed: secret('feed-pow-hmac-key', () => randomBytes(32).toString('base64url')),
      buffer: secret('buffer-pow-hmac-key', () => randomBytes(32).toString('base64url')),
    },
    wallet: wallet(),
  };
}

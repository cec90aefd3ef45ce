import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateSigningJwks, type PrivateJwkSet } from '@ticketslave/common';

export interface DevSecrets {
  session: PrivateJwkSet;
  buffer: PrivateJwkSet;
  queue: PrivateJwkSet;
  ticket: PrivateJwkSet;
  stripeWebhookSecret: string;
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
  const whFile = path.join(dir, 'stripe-webhook-secret');
  if (!existsSync(whFile)) writeFileSync(whFile, `whsec_${randomBytes(24).toString('hex')}`, { mode: 0o600 });
  return {
    session: await jwks('session'),
    buffer: await jwks('buffer'),
    queue: await jwks('queue'),
    ticket: await jwks('ticket'),
    stripeWebhookSecret: readFileSync(whFile, 'utf8').trim(),
  };
}

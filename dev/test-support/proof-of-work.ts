import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { createChallenge } from 'altcha-lib/v1';

/** The proof-of-work secret services get in tests (`serviceTestEnv`). Not a secret: loopback only. */
export const TEST_POW_HMAC_KEY = 'test-pow-hmac-key-not-secret-0123456789abcdef';

export interface AltchaChallengeJson {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/**
 * Solves an ALTCHA (v1) challenge as the widget does — SHA-256(salt + n) for n = 0, 1, … until
 * it matches — and answers the payload a form sends (`altcha`): base64 of its JSON. node:crypto
 * instead of the widget's Web Crypto, so a load generator solving for thousands of fans keeps up.
 */
export function solveAltcha(c: AltchaChallengeJson): string {
  if (c.algorithm !== 'SHA-256') throw new Error(`cannot solve ${c.algorithm}`);
  const started = Date.now();
  for (let n = 0; n <= c.maxnumber; n++)
    if (
      createHash('sha256')
        .update(c.salt + n)
        .digest('hex') === c.challenge
    )
      return Buffer.from(
        JSON.stringify({
          algorithm: c.algorithm,
          challenge: c.challenge,
          number: n,
          salt: c.salt,
          signature: c.signature,
          took: Date.now() - started,
        }),
      ).toString('base64');
  throw new Error(`no number up to ${c.maxnumber} solves the challenge`);
}

/**
 * Fetches a challenge with `get` (a GET of the service's challenge route that answers its JSON)
 * and solves it: what a browser's widget does before a registration or a join.
 */
export async function provePow(get: () => Promise<unknown>): Promise<string> {
  return solveAltcha((await get()) as AltchaChallengeJson);
}

/**
 * A challenge signed with `hmacKey` the way a service issues them (`params` as its scope, `mx`
 * the difficulty), expiring `expiresInMs` from now: with a negative time, what a fan who solved
 * and waited too long would send; with another key, what a forger would.
 */
export async function signedAltchaChallenge(
  hmacKey: string,
  params: Record<string, string>,
  opts: { expiresInMs: number; maxnumber?: number },
): Promise<AltchaChallengeJson> {
  const maxnumber = opts.maxnumber ?? 1000;
  const c = await createChallenge({
    algorithm: 'SHA-256',
    hmacKey,
    maxnumber,
    expires: new Date(Date.now() + opts.expiresInMs),
    params: { ...params, mx: String(maxnumber) },
  });
  return { ...c, maxnumber };
}

/**
 * A solved payload for a challenge issued here with the service's key — what a fan sends
 * after solving a challenge the service gave it, without the round trip and the solving.
 * For load generators that measure the service's side of a join (the service verifies it
 * exactly as any other: signature, scope, expiry, difficulty, single use). Synchronous
 * (node:crypto), so autocannon's `setupRequest` can make one per request.
 */
export function issueSolvedAltcha(
  hmacKey: string,
  params: Record<string, string>,
  opts: { maxnumber?: number; ttlSeconds?: number } = {},
): string {
  const maxnumber = opts.maxnumber ?? 1000;
  const expires = Math.floor(Date.now() / 1000) + (opts.ttlSeconds ?? 600);
  const query = new URLSearchParams({ ...params, mx: String(maxnumber), expires: String(expires) });
  const salt = `${randomBytes(12).toString('hex')}?${query.toString()}&`;
  const number = randomInt(maxnumber + 1);
  const challenge = createHash('sha256')
    .update(salt + number)
    .digest('hex');
  const signature = createHmac('sha256', hmacKey).update(challenge).digest('hex');
  return Buffer.from(
    JSON.stringify({ algorithm: 'SHA-256', challenge, number, salt, signature, took: 0 }),
  ).toString('base64');
}

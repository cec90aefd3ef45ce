import { createChallenge, verifySolution } from 'altcha-lib/v1';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { systemClock, type Clock } from '../clock';
import { queryRows } from '../db/query';
import { InputError } from '../errors';

/**
 * Proof of work in ALTCHA's format (altcha-lib's v1 challenges, which the `altcha` widget
 * solves): the server picks a secret number n ≤ `maxnumber`, publishes SHA-256(salt + n)
 * and an HMAC of it, and the browser finds n by trying numbers — `maxnumber / 2` hashes on
 * average for the client, one hash and one HMAC to check for us. `maxnumber` is the
 * difficulty.
 *
 * What the salt carries is covered by the hash and the HMAC, so it binds a challenge to
 * what it was issued for (`for`, the event), to the difficulty of that moment (`mx`) and
 * to its expiry. Each solution counts once: its challenge hash is spent in the service's
 * `spent_challenges` table (a kit table), so a replay is refused on every instance.
 */

/** The `spent_challenges` kit table: one row per redeemed challenge, kept until it has expired. */
export const SPENT_CHALLENGES_SQL = `
CREATE TABLE IF NOT EXISTS spent_challenges (
  -- SHA-256(salt + number) of the challenge: unique per issued challenge (the salt is random).
  challenge  text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS spent_challenges_expires_at ON spent_challenges (expires_at);
`;

/** What `GET …/challenge` answers: an ALTCHA (v1) challenge the widget takes as is. */
export const AltchaChallenge = z.object({
  algorithm: z.literal('SHA-256'),
  challenge: z.string(),
  maxnumber: z.number().int(),
  salt: z.string(),
  signature: z.string(),
});
export type AltchaChallenge = z.infer<typeof AltchaChallenge>;

/** The body field carrying the solved challenge: the widget's payload (base64 of JSON). */
export const AltchaPayloadField = z
  .string({
    error:
      'is required: the proof of work — fetch a challenge, solve it (the ALTCHA widget does) and send its payload',
  })
  .min(1, 'is required: the proof of work (the ALTCHA payload)')
  .max(2000, 'is too long for an ALTCHA payload');

const Payload = z.object({
  algorithm: z.literal('SHA-256'),
  challenge: z.string().regex(/^[0-9a-f]{64}$/),
  number: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  salt: z.string().min(1).max(1000),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
  took: z.number().optional(),
});

/** What a challenge is for; every key must match when it is redeemed. */
export type PowScope = Record<string, string>;

export interface ProofOfWorkOptions {
  /** Per-service HMAC secret (config), so one service's challenges are worthless at another. */
  hmacKey: string;
  /** How long a challenge may be solved and redeemed. */
  ttlSeconds: number;
  clock?: Clock;
}

const SWEEP_EVERY_MS = 60_000;
const RESERVED = new Set(['expires', 'mx']);

const refuse = (message: string, code: string) =>
  new InputError(message, [{ path: 'body.altcha', message }], code);

export class ProofOfWork {
  private lastSweep = 0;
  private readonly clock: Clock;

  constructor(
    private readonly ds: DataSource,
    private readonly opts: ProofOfWorkOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** A fresh challenge of difficulty `maxnumber` for `scope`. */
  async challenge(scope: PowScope, maxnumber: number): Promise<AltchaChallenge> {
    const expires = new Date(this.clock.now().getTime() + this.opts.ttlSeconds * 1000);
    const c = await createChallenge({
      algorithm: 'SHA-256',
      hmacKey: this.opts.hmacKey,
      maxnumber,
      expires,
      params: { ...scope, mx: String(maxnumber) },
    });
    return { algorithm: 'SHA-256', challenge: c.challenge, maxnumber, salt: c.salt, signature: c.signature };
  }

  /**
   * Checks a solution for `scope` of at least `minMaxnumber` difficulty and spends it; throws
   * 400 problems saying what is wrong (pow_required, pow_malformed, pow_wrong_scope,
   * pow_expired, pow_too_easy, pow_invalid, pow_spent). Nothing is written unless it holds.
   */
  async redeem(encoded: string | undefined, scope: PowScope, minMaxnumber: number): Promise<void> {
    const { challenge, expires } = await this.check(encoded, scope, minMaxnumber);
    const spent = await queryRows(
      this.ds,
      `INSERT INTO spent_challenges (challenge, expires_at) VALUES ($1, to_timestamp($2))
       ON CONFLICT (challenge) DO NOTHING RETURNING 1`,
      [challenge, expires],
    );
    if (spent.length === 0)
      throw refuse('This proof of work was used already; solve a new one.', 'pow_spent');
    this.sweep();
  }

  /**
   * Everything `redeem` checks but the single use, in memory: what a solution costs the server's
   * CPU (`bench/pow`). Answers the challenge hash and its expiry (epoch seconds) to spend.
   */
  async check(
    encoded: string | undefined,
    scope: PowScope,
    minMaxnumber: number,
  ): Promise<{ challenge: string; expires: number }> {
    if (!encoded)
      throw refuse(
        'This needs a proof of work: fetch a challenge, solve it (the ALTCHA widget does) and send its payload as `altcha`.',
        'pow_required',
      );
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const p = Payload.safeParse(parsed);
    if (!p.success)
      throw refuse('The proof of work is not an ALTCHA payload (base64 of its JSON).', 'pow_malformed');
    const payload = p.data;
    const params = new URLSearchParams(payload.salt.split('?')[1] ?? '');
    for (const key of new Set([...params.keys(), ...Object.keys(scope)]))
      if (!RESERVED.has(key) && params.get(key) !== (scope[key] ?? null))
        throw refuse('This proof of work was issued for something else; solve a new one.', 'pow_wrong_scope');
    const expires = Number(params.get('expires'));
    if (!Number.isSafeInteger(expires) || expires * 1000 <= this.clock.now().getTime())
      throw refuse('The proof of work has expired; solve a new one.', 'pow_expired');
    if (!(Number(params.get('mx')) >= minMaxnumber))
      throw refuse(
        'The difficulty was raised since this proof of work was issued; solve a new one.',
        'pow_too_easy',
      );
    // altcha-lib checks the expiry against the system clock too; ours (above) is the one that decides.
    if (!(await verifySolution(payload, this.opts.hmacKey, false)))
      throw refuse(
        'The proof of work is wrong: its number does not solve the signed challenge.',
        'pow_invalid',
      );
    return { challenge: payload.challenge, expires };
  }

  /** Spent challenges past their expiry can never be redeemed again: they are dropped now and then. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.ds
      .query(`DELETE FROM spent_challenges WHERE expires_at < now() - interval '1 minute'`)
      .catch(() => undefined); // the next sweep retries; a leftover row only takes space
  }
}

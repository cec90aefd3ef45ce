import { exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';
import { ed25519Signer } from './ed25519';

export const PrivateJwk = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().min(1),
  d: z.string().min(1),
  kid: z.string().min(1),
  alg: z.literal('EdDSA').optional(),
});
/** A signing JWK set: the first key signs; every key is published so older tokens still verify during a rotation. */
export const PrivateJwkSet = z.object({ keys: z.array(PrivateJwk).min(1) });
export type PrivateJwkSet = z.infer<typeof PrivateJwkSet>;

export interface PublicJwkSet {
  keys: JWK[];
}

/** Generates a fresh Ed25519 signing set (dev bootstrap and tests; production keys come from the secret store). */
export async function generateSigningJwks(kid: string): Promise<PrivateJwkSet> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return PrivateJwkSet.parse({ keys: [{ ...jwk, kid, alg: 'EdDSA' }] });
}

/**
 * Signs our EdDSA JWTs (the same compact JWS jose's SignJWT makes, verified by jose and
 * by `verifyEdDsaJwt`) with a synchronous Ed25519 signature (`ed25519Signer`: libsodium,
 * else node:crypto) and a header encoded once. A join signs a receipt, so this is on the
 * join storm's hot path: jose's builder and promise chain cost more than the signature
 * itself, and signing on libuv's thread pool (tried for the buffer) cost 68 µs of CPU
 * per token on the bench machine against 29 µs inline, without freeing the event loop
 * by as much.
 */
export class TokenSigner {
  private constructor(
    private readonly signBytes: (message: Buffer) => Buffer,
    private readonly kid: string,
    private readonly header: string,
    readonly publicJwks: PublicJwkSet,
  ) {}

  static fromJwks(set: PrivateJwkSet): Promise<TokenSigner> {
    const parsed = PrivateJwkSet.parse(set);
    const active = parsed.keys[0]!;
    const signBytes = ed25519Signer(active);
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: active.kid, typ: 'JWT' })).toString(
      'base64url',
    );
    const publicJwks = {
      keys: parsed.keys.map(({ d: _d, ...pub }) => ({ ...pub, alg: 'EdDSA', use: 'sig' })),
    };
    return Promise.resolve(new TokenSigner(signBytes, active.kid, header, publicJwks));
  }

  get activeKid(): string {
    return this.kid;
  }

  sign(
    claims: JWTPayload,
    opts: { issuer: string; audience: string; subject: string; expiresAt: Date; issuedAt?: Date },
  ): Promise<string> {
    const payload = {
      ...claims,
      iss: opts.issuer,
      aud: opts.audience,
      sub: opts.subject,
      iat: Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000),
      exp: Math.floor(opts.expiresAt.getTime() / 1000),
    };
    const input = `${this.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    try {
      return Promise.resolve(`${input}.${this.signBytes(Buffer.from(input)).toString('base64url')}`);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

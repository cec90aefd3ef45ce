import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { z } from 'zod';

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

export class TokenSigner {
  private constructor(
    private readonly key: KeyLike | Uint8Array,
    private readonly kid: string,
    readonly publicJwks: PublicJwkSet,
  ) {}

  static async fromJwks(set: PrivateJwkSet): Promise<TokenSigner> {
    const parsed = PrivateJwkSet.parse(set);
    const active = parsed.keys[0]!;
    const key = await importJWK({ ...active, alg: 'EdDSA' }, 'EdDSA');
    const publicJwks = {
      keys: parsed.keys.map(({ d: _d, ...pub }) => ({ ...pub, alg: 'EdDSA', use: 'sig' })),
    };
    return new TokenSigner(key, active.kid, publicJwks);
  }

  get activeKid(): string {
    return this.kid;
  }

  sign(
    claims: JWTPayload,
    opts: { issuer: string; audience: string; subject: string; expiresAt: Date; issuedAt?: Date },
  ): Promise<string> {
    const iat = Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.kid, typ: 'JWT' })
      .setIssuer(opts.issuer)
      .setAudience(opts.audience)
      .setSubject(opts.subject)
      .setIssuedAt(iat)
      .setExpirationTime(Math.floor(opts.expiresAt.getTime() / 1000))
      .sign(this.key);
  }
}

import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { PrivateJwkSet, type TokenSigner } from '@ticketslave/common';

/** What the buffer signs with: join receipts and queue tickets. */
export type Signer = Pick<TokenSigner, 'sign'>;

/**
 * The same EdDSA JWTs as `TokenSigner` (same key, `kid`, header and claims; verified by
 * the same JWKS), but the Ed25519 signature is made on libuv's thread pool instead of
 * the event loop: every join signs a receipt, and in a join storm the event loop is
 * the buffer's bottleneck. The JWT is assembled here; only the signature is off-thread.
 */
export class PooledSigner implements Signer {
  private constructor(
    private readonly key: KeyObject,
    private readonly header: string,
  ) {}

  static fromJwks(set: PrivateJwkSet): PooledSigner {
    const active = PrivateJwkSet.parse(set).keys[0]!;
    const key = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: active.x, d: active.d },
      format: 'jwk',
    });
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: active.kid, typ: 'JWT' })).toString(
      'base64url',
    );
    return new PooledSigner(key, header);
  }

  sign(...[claims, opts]: Parameters<TokenSigner['sign']>): Promise<string> {
    const payload = {
      ...claims,
      iss: opts.issuer,
      aud: opts.audience,
      sub: opts.subject,
      iat: Math.floor((opts.issuedAt ?? new Date()).getTime() / 1000),
      exp: Math.floor(opts.expiresAt.getTime() / 1000),
    };
    const input = `${this.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return new Promise((resolve, reject) => {
      // With a callback, node:crypto runs the signature as a thread-pool job.
      sign(null, Buffer.from(input), this.key, (err, signature) => {
        if (err) reject(err);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
  }
}

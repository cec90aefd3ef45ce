import { TokenVerifier, type PublicJwkSet, type TokenKind } from '@ticketslave/common';

/**
 * A TokenVerifier that remembers tokens it has verified, until they expire: a fan's
 * browser sends the same session and admission cookies with every request, and an
 * Ed25519 verification costs more than the rest of a hold's work in this process.
 * Only valid tokens are remembered (keyed by kind and the whole token, so a token is
 * accepted again only for what it was verified as); the oldest entries go first
 * when the cache is full.
 */
export class CachingTokenVerifier extends TokenVerifier {
  private readonly verified = new Map<string, { claims: unknown; exp: number }>();

  constructor(
    source: string | PublicJwkSet,
    private readonly maxEntries = 100_000,
  ) {
    super(source);
  }

  override async verify<K extends TokenKind>(kind: K, token: string | undefined, now?: Date) {
    if (!token) return super.verify(kind, token, now);
    const key = `${kind}:${token}`;
    const hit = this.verified.get(key);
    const nowSec = (now ?? new Date()).getTime() / 1000;
    if (hit && hit.exp > nowSec) return hit.claims as never; // what super.verify(kind, …) returned for this very token
    if (hit) this.verified.delete(key);
    const claims = await super.verify(kind, token, now);
    if (this.verified.size >= this.maxEntries) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(key, { claims, exp: claims.exp });
    return claims;
  }
}

import { ed25519 } from '@noble/curves/ed25519.js';
import { checkRotation, CODE_EXPIRED, parseTicketCode, ticketSecret } from '@ticketslave/contracts';

/** The bundle's verification part: what purchase signs ticket codes with (public keys only). */
export interface Verification {
  alg: 'EdDSA';
  issuer: string;
  audience: string;
  /** A JWK set, as purchase publishes it: only Ed25519 keys (OKP, with `x`) are used. */
  keys: { keys: Record<string, unknown>[] };
  /** The event's code key (each ticket's TOTP secret derives from it) and whether static codes are accepted. */
  rotation: { periodSeconds: number; codeKey: string; staticCodes: boolean };
}

export interface CodeClaims {
  ticketId: string;
  eventId: string;
  unitId: string;
}

const b64url = (s: string): Uint8Array => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};
const json = (part: string): Record<string, unknown> => JSON.parse(new TextDecoder().decode(b64url(part))) as Record<string, unknown>;

/**
 * Checks a ticket code without a network, as purchase's own check does: the signed part (a
 * compact EdDSA JWT: signature, issuer, audience, expiry) with the event's public key, then
 * the live code's TOTP and window (this one or the previous) with the ticket's secret, or
 * for a bare static code whether the organiser accepts those. Returns the claims, or why
 * the code admits nobody (`expired`: a screenshot or an old code, with the ticket it names:
 * a used ticket's old code is refused as used).
 */
export function verifyTicketCode(
  code: string,
  v: Verification,
  now = Date.now(),
): CodeClaims | { error: string; expired?: true; claims?: CodeClaims } {
  const live = parseTicketCode(code);
  if (!live) return { error: 'not a ticket code' };
  const claims = verifySigned(live.signed, v, now);
  if ('error' in claims) return claims;
  if (!live.rotation) return v.rotation.staticCodes ? claims : { error: CODE_EXPIRED, expired: true, claims };
  switch (checkRotation(live.rotation, ticketSecret(v.rotation.codeKey, claims.ticketId), now)) {
    case 'live':
      return claims;
    case 'expired':
      return { error: CODE_EXPIRED, expired: true, claims };
    case 'forged':
      return { error: 'the code is not this ticket’s' };
  }
}

function verifySigned(code: string, v: Verification, now: number): CodeClaims | { error: string } {
  const parts = code.trim().split('.');
  if (parts.length !== 3) return { error: 'not a ticket code' };
  try {
    const header = json(parts[0]!);
    if (header.alg !== 'EdDSA') return { error: 'not a ticket code' };
    const keys = v.keys.keys.filter(
      (k): k is { x: string } => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string' && (!header.kid || k.kid === header.kid),
    );
    const signingInput = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
    const signature = b64url(parts[2]!);
    if (!keys.some((k) => ed25519.verify(signature, signingInput, b64url(k.x)))) return { error: 'the signature does not match' };
    const p = json(parts[1]!);
    const audience = Array.isArray(p.aud) ? p.aud : [p.aud];
    if (p.iss !== v.issuer || !audience.includes(v.audience)) return { error: 'not a TicketSlave ticket' };
    if (typeof p.exp !== 'number' || p.exp * 1000 < now) return { error: 'the code has expired' };
    if (typeof p.sub !== 'string' || typeof p.evt !== 'string' || typeof p.unit !== 'string') return { error: 'not a ticket code' };
    return { ticketId: p.sub, eventId: p.evt, unitId: p.unit };
  } catch {
    return { error: 'not a ticket code' };
  }
}

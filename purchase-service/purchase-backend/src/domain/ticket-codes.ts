import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthError, type PublicJwkSet, type TokenSigner } from '@ticketslave/common';

const ISSUER = 'ticketslave-purchase';
const AUDIENCE = 'ticketslave-checkin';

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  unitId: string;
}

/**
 * A ticket's QR code is a compact EdDSA JWT over (ticket id, event, unit): a forged
 * or edited code fails the signature before the database is asked anything. It is
 * valid until two days after the show, so door staff can scan latecomers.
 */
export class TicketCodes {
  private readonly getKey: JWTVerifyGetKey;

  constructor(private readonly signer: TokenSigner) {
    this.getKey = createLocalJWKSet(signer.publicJwks);
  }

  /** What a door device needs to check codes itself: the issuer, audience and public keys. */
  get verification(): { issuer: string; audience: string; keys: PublicJwkSet } {
    return { issuer: ISSUER, audience: AUDIENCE, keys: this.signer.publicJwks };
  }

  newTicketId(): string {
    return randomUUID();
  }

  sign(t: TicketClaims, startsAt: Date, now: Date): Promise<string> {
    const validUntil = Math.max(startsAt.getTime(), now.getTime()) + 2 * 86_400_000;
    return this.signer.sign(
      { evt: t.eventId, unit: t.unitId },
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        subject: t.ticketId,
        expiresAt: new Date(validUntil),
        issuedAt: now,
      },
    );
  }

  async verify(code: string): Promise<TicketClaims> {
    try {
      const { payload } = await jwtVerify(code.trim(), this.getKey, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['EdDSA'],
        // jose accepts a token without exp by default; a ticket code must expire like every token.
        requiredClaims: ['exp'],
      });
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.evt !== 'string' ||
        typeof payload.unit !== 'string'
      )
        throw new Error('claims');
      return { ticketId: payload.sub, eventId: payload.evt, unitId: payload.unit };
    } catch {
      throw new AuthError('This is not a valid TicketSlave ticket.', 'invalid_ticket');
    }
  }
}

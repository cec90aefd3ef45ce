import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { AuthError, type PublicJwkSet, type TokenSigner } from '@ticketslave/common';
import { checkRotation, parseTicketCode, ticketSecret } from '@ticketslave/contracts';
import type { EventCodeSettings } from './ports';

const ISSUER = 'ticketslave-purchase';
const AUDIENCE = 'ticketslave-checkin';

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  unitId: string;
}

/** Why a code does not admit: not ours (forged, edited, junk), or a live code whose window is past. */
export type CodeRefusal = 'invalid' | 'expired';

/** Where the check reads an event's code key and static-code choice (`EventStore`). */
export interface CodeSettingsSource {
  codeSettings(eventId: string): Promise<EventCodeSettings | undefined>;
}

/**
 * A ticket's signed part is a compact EdDSA JWT over (ticket id, event, unit): a forged
 * or edited code fails the signature before the database is asked anything. It is
 * valid until two days after the show, so door staff can scan latecomers. What the fan's
 * phone shows is the live code (`<jwt>~<window>~<totp>`, see @ticketslave/contracts
 * ticket-code.ts); the door takes the bare JWT only where the organiser allows static,
 * printable codes.
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

  /** Event code keys never change: kept after the first read, so a live scan costs no query for them. */
  private readonly keys = new Map<string, string>();

  /**
   * Whether a code admits at `at`: the signature, then for a live code its TOTP and window
   * (this one or the previous), for a static code the event's permission. A sync checks an
   * offline scan at the moment it was made.
   */
  async check(
    code: string,
    at: Date,
    events: CodeSettingsSource,
  ): Promise<{ claims: TicketClaims } | { refusal: CodeRefusal; claims?: TicketClaims }> {
    const parsed = parseTicketCode(code);
    if (!parsed) return { refusal: 'invalid' };
    let claims: TicketClaims;
    try {
      claims = await this.verify(parsed.signed);
    } catch (err) {
      if (err instanceof AuthError) return { refusal: 'invalid' };
      throw err;
    }
    if (!parsed.rotation) {
      const settings = await events.codeSettings(claims.eventId);
      if (!settings) return { refusal: 'invalid' };
      return settings.staticCodes ? { claims } : { refusal: 'expired', claims };
    }
    let key = this.keys.get(claims.eventId);
    if (!key) {
      key = (await events.codeSettings(claims.eventId))?.codeKey;
      if (!key) return { refusal: 'invalid' };
      if (this.keys.size >= 10_000) this.keys.clear();
      this.keys.set(claims.eventId, key);
    }
    switch (checkRotation(parsed.rotation, ticketSecret(key, claims.ticketId), at.getTime())) {
      case 'live':
        return { claims };
      case 'expired':
        return { refusal: 'expired', claims };
      case 'forged':
        return { refusal: 'invalid' };
    }
  }

  /** The signed part's claims (a live code's suffix is ignored): which ticket a code names. */
  async verify(code: string): Promise<TicketClaims> {
    try {
      const { payload } = await jwtVerify(parseTicketCode(code)?.signed ?? '', this.getKey, {
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

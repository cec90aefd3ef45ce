import { createPrivateKey, sign } from 'node:crypto';
import { generateSigningJwks, TokenSigner } from '@ticketslave/common';
import { liveTicketCode, ticketSecret } from '@ticketslave/contracts';
import { TicketCodes } from './ticket-codes';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('TicketCodes', () => {
  it('verifies a code it signed and refuses a correctly signed code without exp', async () => {
    const jwks = await generateSigningJwks('t1');
    const codes = new TicketCodes(await TokenSigner.fromJwks(jwks));
    const now = new Date();
    const claims = { ticketId: 'tk1', eventId: 'e1', unitId: 'u1' };
    await expect(codes.verify(await codes.sign(claims, now, now))).resolves.toEqual(claims);

    const key = createPrivateKey({ key: jwks.keys[0]!, format: 'jwk' });
    const handMade = (payload: Record<string, unknown>) => {
      const input = `${b64({ alg: 'EdDSA', kid: 't1', typ: 'JWT' })}.${b64(payload)}`;
      return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
    };
    const base = {
      iss: 'ticketslave-purchase',
      aud: 'ticketslave-checkin',
      sub: 'tk1',
      evt: 'e1',
      unit: 'u1',
      iat: Math.floor(now.getTime() / 1000),
    };
    await expect(codes.verify(handMade({ ...base, exp: base.iat + 60 }))).resolves.toEqual(claims);
    await expect(codes.verify(handMade(base))).rejects.toMatchObject({ code: 'invalid_ticket' });
  });

  it('when checking a live code, admits this window and the previous, refuses an older one as expired, a static one unless the event allows it, and a wrong TOTP as invalid; reads the code key once', async () => {
    const codes = new TicketCodes(await TokenSigner.fromJwks(await generateSigningJwks('t2')));
    const now = new Date(Date.UTC(2026, 11, 6, 21, 0, 5));
    const claims = { ticketId: 'tk2', eventId: 'e2', unitId: 'u2' };
    const signed = await codes.sign(claims, now, now);
    const key = 'ab'.repeat(32);
    const settings = { codeKey: key, staticCodes: false };
    let reads = 0;
    const events = { codeSettings: async () => (reads++, settings) };
    const secret = ticketSecret(key, 'tk2');
    const at = (ms: number) => liveTicketCode(signed, secret, ms);

    await expect(codes.check(at(now.getTime()), now, events)).resolves.toEqual({ claims });
    await expect(codes.check(at(now.getTime() - 30_000), now, events)).resolves.toEqual({ claims });
    await expect(codes.check(at(now.getTime() - 90_000), now, events)).resolves.toEqual({
      refusal: 'expired',
      claims,
    });
    await expect(
      codes.check(liveTicketCode(signed, ticketSecret(key, 'tk3'), now.getTime()), now, events),
    ).resolves.toEqual({
      refusal: 'invalid',
    });
    await expect(codes.check('junk~1~123456', now, events)).resolves.toEqual({ refusal: 'invalid' });
    expect(reads).toBe(1);
    await expect(codes.check(signed, now, events)).resolves.toEqual({ refusal: 'expired', claims });
    settings.staticCodes = true;
    await expect(codes.check(signed, now, events)).resolves.toEqual({ claims });
  });
});

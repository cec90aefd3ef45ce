import { createPrivateKey, sign } from 'node:crypto';
import { generateSigningJwks, TokenSigner } from '@ticketslave/common';
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
});

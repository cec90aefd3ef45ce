import {
  CODE_PERIOD_SECONDS,
  checkRotation,
  codeWindow,
  liveTicketCode,
  parseTicketCode,
  ticketSecret,
} from './ticket-code';

const KEY = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const TICKET = '6f1c2a9e-6f55-4a57-9d1c-3d7f6f1f0a11';
const T0 = Date.UTC(2026, 11, 6, 20, 0, 10);
const rotationOf = (code: string) => parseTicketCode(code)!.rotation!;

describe('ticketSecret', () => {
  it('when derived twice for one ticket, then it is the same secret; another ticket or key gets another', () => {
    expect(ticketSecret(KEY, TICKET)).toBe(ticketSecret(KEY, TICKET));
    expect(ticketSecret(KEY, TICKET)).toMatch(/^[A-Z2-7]{32}$/);
    expect(ticketSecret(KEY, `${TICKET.slice(0, -1)}2`)).not.toBe(ticketSecret(KEY, TICKET));
    expect(ticketSecret(KEY.replace('00', 'ff'), TICKET)).not.toBe(ticketSecret(KEY, TICKET));
  });
});

describe('liveTicketCode and checkRotation', () => {
  const secret = ticketSecret(KEY, TICKET);
  it('when a code is shown, then it is the signed part, its 30-s window and a 6-digit TOTP', () => {
    const code = liveTicketCode('a.b.c', secret, T0);
    expect(code).toBe(`a.b.c~${codeWindow(T0)}~${rotationOf(code).otp}`);
    expect(rotationOf(code).otp).toMatch(/^\d{6}$/);
    expect(parseTicketCode('a.b.c')).toEqual({ signed: 'a.b.c', rotation: null });
    expect(parseTicketCode('a.b.c~12~34')).toBeNull();
  });
  it('when checked in its window or the next one, then it is live; two windows later (a screenshot), expired', () => {
    const r = rotationOf(liveTicketCode('a.b.c', secret, T0));
    expect(checkRotation(r, secret, T0)).toBe('live');
    expect(checkRotation(r, secret, T0 + CODE_PERIOD_SECONDS * 1000)).toBe('live');
    expect(checkRotation(r, secret, T0 + 90_000)).toBe('expired');
  });
  it('when the TOTP is made up, from another ticket, or far ahead of the clock, then it is forged', () => {
    const r = rotationOf(liveTicketCode('a.b.c', secret, T0));
    const wrong = String((Number(r.otp) + 1) % 1_000_000).padStart(6, '0');
    expect(checkRotation({ ...r, otp: wrong }, secret, T0)).toBe('forged');
    expect(checkRotation(r, ticketSecret(KEY, 'another'), T0)).toBe('forged');
    const ahead = rotationOf(liveTicketCode('a.b.c', secret, T0 + 120_000));
    expect(checkRotation(ahead, secret, T0)).toBe('forged');
  });
});

import {
  CODE_PERIOD_SECONDS,
  checkRotation,
  clockOffsetMs,
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

describe('clockOffsetMs (a device clock against the server, from one request)', () => {
  it('when the device clock is right, then the offset is 0 however slow the answer (a midpoint guess was off by half of it)', () => {
    // Asked at 1000, answered at 21000 (a loaded door phone); the server stamped 1500.
    expect(clockOffsetMs(1_500, 1_000, 21_000)).toBe(0);
    expect(clockOffsetMs(20_900, 1_000, 21_000)).toBe(0);
    // The midpoint estimate would have put this device 9.5 s ahead or behind: past the
    // 5 s a live code's window tolerates.
    expect(1_500 - (1_000 + 21_000) / 2).toBe(-9_500);
  });

  it('when the device clock is really off, then it is corrected by what the request proves, no more', () => {
    // The server's clock read 60 s past anything the device saw during the request: ahead.
    expect(clockOffsetMs(81_000, 1_000, 21_000)).toBe(60_000);
    // Behind: the server read a time before the request started on the device.
    expect(clockOffsetMs(500, 10_000, 10_200)).toBe(-9_500);
  });

  it('when the server time is unreadable, then the device keeps its own clock', () => {
    expect(clockOffsetMs(Number.NaN, 1_000, 2_000)).toBe(0);
  });
});

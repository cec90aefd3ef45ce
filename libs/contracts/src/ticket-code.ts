import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { Secret, TOTP } from 'otpauth';

/**
 * A ticket's live code (issue 20.6), as the fan's phone shows it and every checker reads
 * it: the ticket's signed part (an EdDSA JWT naming the ticket, its event and unit), then
 * the 30-second window it was made in and the TOTP of that window under the ticket's own
 * secret: `<jwt>~<window>~<totp>`. The secret reaches only the ticket's owner (their
 * tickets page) and the event's door devices (as the event's code key, from which each
 * ticket's secret is derived), so a screenshot keeps its old window and is refused once
 * that window is past: a checker accepts the current and the previous window.
 *
 * Isomorphic (server, fan's page, door device): the same functions make and check a code.
 */
export const CODE_PERIOD_SECONDS = 30;
const DIGITS = 6;
const SEPARATOR = '~';
/** A phone whose clock runs a little fast shows the next window a moment early. */
const FAST_CLOCK_MS = 5_000;

/** What the door and the API say to a code whose window is past. */
export const CODE_EXPIRED = 'code expired — open your ticket';

/** The 30-second window an instant (ms since the epoch) falls in. */
export const codeWindow = (ms: number): number => Math.floor(ms / 1000 / CODE_PERIOD_SECONDS);

/** Milliseconds left in the window of `ms`. */
export const msLeftInWindow = (ms: number): number => (codeWindow(ms) + 1) * CODE_PERIOD_SECONDS * 1000 - ms;

const hexBytes = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
};

/**
 * A ticket's TOTP secret (base32), derived from its event's code key (hex): HMAC-SHA256
 * of the ticket id, 160 bits. Derived, not stored, so a door device needs one key per event
 * rather than a secret per ticket, and a fan's page gets only its own tickets' secrets.
 */
export function ticketSecret(eventKeyHex: string, ticketId: string): string {
  const mac = hmac(sha256, hexBytes(eventKeyHex), new TextEncoder().encode(ticketId));
  return new Secret({ buffer: mac.slice(0, 20).buffer }).base32;
}

/** A secret parsed once, for pages that make a code every second. */
export type TicketSecret = Secret;
export const parseSecret = (base32: string): TicketSecret => Secret.fromBase32(base32);

const totp = (secret: TicketSecret, window: number) =>
  TOTP.generate({
    secret,
    digits: DIGITS,
    period: CODE_PERIOD_SECONDS,
    timestamp: window * CODE_PERIOD_SECONDS * 1000,
  });

/** The live code to show at `nowMs`: the signed part, the window and its TOTP. */
export function liveTicketCode(signed: string, secret: TicketSecret | string, nowMs: number): string {
  const s = typeof secret === 'string' ? parseSecret(secret) : secret;
  const w = codeWindow(nowMs);
  return `${signed}${SEPARATOR}${w}${SEPARATOR}${totp(s, w)}`;
}

/** A code split into its signed part and, for a live code, its window and TOTP. */
export interface ParsedTicketCode {
  signed: string;
  rotation: { window: number; otp: string } | null;
}

export function parseTicketCode(code: string): ParsedTicketCode | null {
  const parts = code.trim().split(SEPARATOR);
  if (parts.length === 1) return { signed: parts[0]!, rotation: null };
  if (parts.length !== 3 || !/^\d{1,12}$/.test(parts[1]!) || !new RegExp(`^\\d{${DIGITS}}$`).test(parts[2]!))
    return null;
  return { signed: parts[0]!, rotation: { window: Number(parts[1]), otp: parts[2]! } };
}

/**
 * Whether a live code's TOTP is right and its window current (`live`: this window or the
 * previous one), past (`expired`: a screenshot, or a code kept too long) or wrong (`forged`:
 * a made-up TOTP, or one made far ahead of `nowMs`).
 */
export function checkRotation(
  rotation: { window: number; otp: string },
  secret: TicketSecret | string,
  nowMs: number,
): 'live' | 'expired' | 'forged' {
  const s = typeof secret === 'string' ? parseSecret(secret) : secret;
  const expected = totp(s, rotation.window);
  let diff = expected.length ^ rotation.otp.length;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ rotation.otp.charCodeAt(i);
  if (diff !== 0) return 'forged';
  if (rotation.window > codeWindow(nowMs + FAST_CLOCK_MS)) return 'forged';
  return rotation.window >= codeWindow(nowMs) - 1 ? 'live' : 'expired';
}

/**
 * A device's clock offset to the server (ms to add to `Date.now()`), from one request: the
 * server read its clock (`serverMs`) at some moment between `askedMs` and `receivedMs` on the
 * device, so every offset in [serverMs − receivedMs, serverMs − askedMs] fits the measurement.
 * The one closest to zero is taken: a device whose clock is right stays exactly right however
 * slow the answer was (a midpoint guess was off by half a slow round trip, seconds on a loaded
 * phone or server, which could move a live code out of its window), and a clock that is really
 * off is corrected by no more than the measurement proves.
 */
export function clockOffsetMs(serverMs: number, askedMs: number, receivedMs: number): number {
  if (!Number.isFinite(serverMs)) return 0;
  return Math.min(Math.max(0, serverMs - receivedMs), serverMs - askedMs);
}

/**
 * Byte helpers shared by the draw, the beacon and the receipts. Everything here runs the
 * same in Node and in browsers (no Buffer, no node:crypto).
 */

/** Input the verifier cannot read: exit code 2 in the CLI, "we could not read this" in the browser. */
export class MalformedInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedInputError';
  }
}

const HEX = /^(?:[0-9a-f]{2})*$/;

export const isHex = (value: unknown, bytes?: number): value is string =>
  typeof value === 'string' && HEX.test(value) && (bytes === undefined || value.length === 2 * bytes);

/** Lowercase hex to bytes; anything else (uppercase, odd length, other characters) is refused. */
export function hexToBytes(hex: string, what: string): Uint8Array {
  if (!isHex(hex)) throw new MalformedInputError(`${what} must be lowercase hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const HEX_DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX_DIGITS[b]!;
  return s;
}

const encoder = new TextEncoder();
export const utf8 = (s: string): Uint8Array => encoder.encode(s);

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** A non-negative integer as 8 bytes, big-endian (drand's round encoding). */
export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new MalformedInputError(`${n} is not a round number`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** A non-negative integer below 2^32 as 4 bytes, big-endian. */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new MalformedInputError(`${n} does not fit 32 bits`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_INDEX = new Map([...B64URL].map((c, i) => [c, i]));

/** base64url without padding (JWS, JWK) to bytes. */
export function base64urlToBytes(s: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1)
    throw new MalformedInputError(`${what} is not base64url`);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const c of s) {
    value = (value << 6) | B64URL_INDEX.get(c)!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

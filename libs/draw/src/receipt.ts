import { ed25519 } from '@noble/curves/ed25519.js';
import { base64urlToBytes, MalformedInputError, utf8 } from './bytes';

/**
 * Join receipts: the buffer's signed word that a fan joined an event's draw. A compact
 * JWS (EdDSA, Ed25519) whose claims name the event, the fan's entrant hash, when they
 * joined, whether that was after the close, and (draw-v2) the commitment of the draw.
 */
export const RECEIPT = { issuer: 'ticketslave-buffer', audience: 'ticketslave' } as const;

/** The claims the buffer puts in a receipt besides iss/aud/sub/iat/exp. */
export interface ReceiptDrawClaims {
  /** Event id (UUID, lowercase). */
  evt: string;
  /** The fan's entrant hash (64 hex). */
  eh: string;
  /** When the fan joined, milliseconds since the Unix epoch. */
  jat: number;
  /** draw-v2: the commitment (SHA-256 of the seed) published before the close. */
  cmt?: string;
  /** draw-v2: the draw version the commitment belongs to. */
  dv?: string;
  /** Joined after the buffer closed: numbered after everyone in the draw, in join order. */
  late?: boolean;
}

export interface ReceiptClaims extends ReceiptDrawClaims {
  iss: string;
  aud: string;
  sub: string;
  iat?: number;
  exp?: number;
}

export interface DecodedReceipt {
  token: string;
  alg: string;
  kid?: string;
  claims: ReceiptClaims;
  signingInput: Uint8Array;
  signature: Uint8Array;
}

/** A public Ed25519 JWK as our JWKS endpoints publish them. */
export interface PublicJwk {
  kty: string;
  crv?: string;
  x?: string;
  kid?: string;
  alg?: string;
  use?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new MalformedInputError(`${what} is not JSON`);
  }
  if (!isObject(value)) throw new MalformedInputError(`${what} is not a JSON object`);
  return value;
}

/** Splits and reads a receipt without judging it; throws MalformedInputError when it is not one. */
export function decodeReceipt(token: string): DecodedReceipt {
  const parts = token.trim().split('.');
  if (parts.length !== 3)
    throw new MalformedInputError('the receipt is not a compact JWS (three dot-separated parts)');
  const header = json(base64urlToBytes(parts[0]!, 'receipt header'), 'receipt header');
  const c = json(base64urlToBytes(parts[1]!, 'receipt payload'), 'receipt payload');
  const need = (ok: boolean, claim: string, want: string) => {
    if (!ok) throw new MalformedInputError(`receipt claim "${claim}" must be ${want}`);
  };
  need(typeof c.evt === 'string', 'evt', 'the event id');
  need(typeof c.eh === 'string', 'eh', 'the entrant hash');
  need(Number.isSafeInteger(c.jat), 'jat', 'milliseconds since the epoch');
  need(typeof c.sub === 'string', 'sub', 'the user id');
  need(typeof c.iss === 'string' && typeof c.aud === 'string', 'iss/aud', 'strings');
  need(c.cmt === undefined || typeof c.cmt === 'string', 'cmt', 'the commitment');
  need(c.dv === undefined || typeof c.dv === 'string', 'dv', 'the draw version');
  need(c.late === undefined || typeof c.late === 'boolean', 'late', 'true or false');
  return {
    token: parts.join('.'),
    alg: typeof header.alg === 'string' ? header.alg : '',
    ...(typeof header.kid === 'string' ? { kid: header.kid } : {}),
    claims: c as unknown as ReceiptClaims,
    signingInput: utf8(`${parts[0]}.${parts[1]}`),
    signature: base64urlToBytes(parts[2]!, 'receipt signature'),
  };
}

/** Checks the receipt's Ed25519 signature with the key of its `kid` among `keys`. */
export function verifyReceiptSignature(
  receipt: DecodedReceipt,
  keys: readonly PublicJwk[],
): { ok: boolean; reason?: string } {
  if (receipt.alg !== 'EdDSA') return { ok: false, reason: `algorithm "${receipt.alg}" is not EdDSA` };
  const candidates = keys.filter(
    (k) =>
      k.kty === 'OKP' &&
      k.crv === 'Ed25519' &&
      typeof k.x === 'string' &&
      (!receipt.kid || k.kid === receipt.kid),
  );
  if (candidates.length === 0)
    return {
      ok: false,
      reason: `no Ed25519 key with id "${receipt.kid ?? '(none)'}" among the buffer's keys`,
    };
  for (const key of candidates) {
    try {
      if (ed25519.verify(receipt.signature, receipt.signingInput, base64urlToBytes(key.x!, 'key')))
        return { ok: true };
    } catch {
      // a malformed key or signature simply does not verify
    }
  }
  return { ok: false, reason: "the signature does not verify under the buffer's key" };
}

/** What "Save my receipt" downloads, and what `verify-draw --receipt` reads. */
export interface ReceiptFile {
  kind: 'ticketslave-join-receipt';
  eventId: string;
  receipt: string;
  /** The buffer's keys as the fan's browser fetched them when saving: evidence independent of the document. */
  jwks?: { keys: PublicJwk[] };
  jwksUrl?: string;
  fairnessUrl?: string;
}

export const RECEIPT_FILE_KIND = 'ticketslave-join-receipt';

export interface LoadedReceipt {
  receipt: DecodedReceipt;
  /** The keys saved with the receipt, if the file had them. */
  savedKeys?: PublicJwk[];
}

/** Reads a receipt file: the JSON "Save my receipt" wrote, or the bare compact JWS. */
export function parseReceiptFile(text: string): LoadedReceipt {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return { receipt: decodeReceipt(trimmed) };
  let file: unknown;
  try {
    file = JSON.parse(trimmed);
  } catch {
    throw new MalformedInputError('the receipt file is not valid JSON');
  }
  if (!isObject(file) || typeof file.receipt !== 'string')
    throw new MalformedInputError('the receipt file has no "receipt" (the signed token)');
  const keys = isObject(file.jwks) && Array.isArray(file.jwks.keys) ? file.jwks.keys : undefined;
  if (keys && !keys.every(isObject))
    throw new MalformedInputError('the receipt file\'s "jwks" is not a key set');
  return {
    receipt: decodeReceipt(file.receipt),
    ...(keys ? { savedKeys: keys as unknown as PublicJwk[] } : {}),
  };
}

import { isHex, MalformedInputError } from './bytes';
import { DRAW_V1, DRAW_V2 } from './draw';
import { parseChainInfo, parseRound, type DrandChainInfo } from './drand';
import type { PublicJwk } from './receipt';

/** A draw-v1 fairness document (events closed before draw-v2). */
export interface FairnessDocumentV1 {
  version: typeof DRAW_V1;
  eventId: string;
  commitment: string;
  seed: string;
  salt: string;
  /** Hex of the beacon value used, empty when there was none. Not authenticated. */
  beacon: string;
  beaconRound?: number | null;
  entrantsDigest: string;
  entrantHashes: string[];
  total: number;
}

/** The drand round a draw-v2 used, with the chain that signed it. */
export interface FairnessBeacon {
  chain: DrandChainInfo;
  round: number;
  signature: string;
  previous_signature?: string;
  randomness: string;
}

/** Where the join receipts' keys are published, and the keys themselves. */
export interface FairnessReceiptKeys {
  issuer: string;
  jwksUrl: string;
  keys: PublicJwk[];
}

/** `GET /buffer/api/events/:id/fairness` for a draw-v2 event (docs/fairness.md). */
export interface FairnessDocumentV2 {
  version: typeof DRAW_V2;
  eventId: string;
  commitment: string;
  seed: string;
  salt: string;
  /** When the buffer closed: ISO 8601, UTC, milliseconds ("2026-05-01T18:00:00.123Z"). */
  closedAt: string;
  beacon: FairnessBeacon;
  receiptKeys: FairnessReceiptKeys;
  entrantsDigest: string;
  total: number;
  /** Sorted ascending, unique, 64 lowercase hex each. Last, so the head of the file reads without it. */
  entrantHashes: string[];
}

export type FairnessDocument = FairnessDocumentV1 | FairnessDocumentV2;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Reads a fairness document, checking its shape only (types, hex fields of the right
 * length): what is in it is judged by `verifyDraw`. Throws MalformedInputError naming
 * the first field that cannot be read.
 */
export function parseFairnessDocument(raw: unknown): FairnessDocument {
  if (!isObject(raw)) throw new MalformedInputError('the fairness document is not a JSON object');
  const bad = (field: string, want: string) =>
    new MalformedInputError(`fairness document: "${field}" must be ${want}`);
  const hex32 = (field: string) => {
    if (!isHex(raw[field], 32)) throw bad(field, '32 bytes of lowercase hex');
  };
  if (raw.version !== DRAW_V1 && raw.version !== DRAW_V2)
    throw bad('version', `"${DRAW_V1}" or "${DRAW_V2}" (got ${JSON.stringify(raw.version)})`);
  if (typeof raw.eventId !== 'string' || raw.eventId === '') throw bad('eventId', 'the event id');
  hex32('commitment');
  hex32('entrantsDigest');
  if (!isHex(raw.seed)) throw bad('seed', 'lowercase hex');
  if (!isHex(raw.salt)) throw bad('salt', 'lowercase hex');
  if (!Number.isSafeInteger(raw.total) || (raw.total as number) < 0) throw bad('total', 'a whole number');
  if (!Array.isArray(raw.entrantHashes)) throw bad('entrantHashes', 'an array');
  if (!raw.entrantHashes.every((h) => typeof h === 'string'))
    throw bad('entrantHashes', 'an array of strings');
  if (raw.version === DRAW_V1) {
    if (!isHex(raw.beacon)) throw bad('beacon', 'lowercase hex (empty for none)');
    return raw as unknown as FairnessDocumentV1;
  }
  hex32('seed');
  if (
    typeof raw.closedAt !== 'string' ||
    !ISO_MS.test(raw.closedAt) ||
    Number.isNaN(Date.parse(raw.closedAt))
  )
    throw bad('closedAt', 'an ISO 8601 UTC time with milliseconds');
  if (!isObject(raw.beacon)) throw bad('beacon', 'an object');
  const chain = parseChainInfo(raw.beacon.chain, 'fairness document: beacon.chain');
  const round = parseRound(raw.beacon, 'fairness document: beacon');
  if (!isObject(raw.receiptKeys)) throw bad('receiptKeys', 'an object');
  const rk = raw.receiptKeys;
  if (typeof rk.jwksUrl !== 'string' || typeof rk.issuer !== 'string')
    throw bad('receiptKeys', 'an object with "issuer" and "jwksUrl"');
  if (!Array.isArray(rk.keys) || !rk.keys.every(isObject)) throw bad('receiptKeys.keys', 'an array of JWKs');
  return {
    version: DRAW_V2,
    eventId: raw.eventId,
    commitment: raw.commitment as string,
    seed: raw.seed,
    salt: raw.salt,
    closedAt: raw.closedAt,
    beacon: { chain, ...round },
    receiptKeys: { issuer: rk.issuer, jwksUrl: rk.jwksUrl, keys: rk.keys as unknown as PublicJwk[] },
    entrantsDigest: raw.entrantsDigest as string,
    total: raw.total as number,
    entrantHashes: raw.entrantHashes,
  };
}

/** The document's JSON text: the fields in the order above, `entrantHashes` last. */
export function serializeFairnessDocument(doc: FairnessDocumentV2): string {
  const { entrantHashes, ...head } = doc;
  return `${JSON.stringify(head).slice(0, -1)},"entrantHashes":${JSON.stringify(entrantHashes)}}`;
}

/**
 * The same bytes as `utf8(serializeFairnessDocument(doc))`, written in one pass from the
 * entrant list in its byte form (`entrantListBytes`: `count` hashes of 64 hex joined by
 * '\n', as the buffer reads them at the close) instead of a million strings: 67 MB for a
 * million entrants, without the intermediate JSON text.
 */
export function serializeFairnessDocumentBytes(
  head: Omit<FairnessDocumentV2, 'entrantHashes'>,
  list: Uint8Array,
  count: number,
): Uint8Array {
  if (list.length !== (count === 0 ? 0 : count * 65 - 1))
    throw new Error(`an entrant list of ${count} hashes must be ${count * 65 - 1} bytes`);
  const start = new TextEncoder().encode(`${JSON.stringify(head).slice(0, -1)},"entrantHashes":[`);
  const out = new Uint8Array(start.length + (count === 0 ? 0 : count * 67 - 1) + 2);
  out.set(start);
  let at = start.length;
  for (let k = 0; k < count; k++) {
    if (k > 0) out[at++] = 0x2c; // ,
    out[at++] = 0x22; // "
    out.set(list.subarray(k * 65, k * 65 + 64), at);
    at += 64;
    out[at++] = 0x22;
  }
  out[at++] = 0x5d; // ]
  out[at++] = 0x7d; // }
  return out;
}

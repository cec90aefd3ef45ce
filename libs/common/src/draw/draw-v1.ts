import { createCipheriv, createHash } from 'node:crypto';

/**
 * draw-v1: the verifiable shuffle of the buffer (docs/architecture.md, "The draw (draw-v1)").
 *
 * Byte encodings (fixed so anyone can re-implement it):
 * - `salt`, `seed`, `beacon` are hex strings and are used as their decoded bytes;
 *   `beacon` may be empty (no beacon configured).
 * - entrant hash `eh = hex(SHA-256(salt_bytes ‖ utf8(userId)))`, lowercase.
 * - `entrantsDigest = hex(SHA-256(utf8(sortedHashes.join('\n'))))`.
 * - `commitment = hex(SHA-256(seed_bytes))`.
 * - `finalSeed = SHA-256(seed_bytes ‖ entrantsDigest_bytes ‖ beacon_bytes)`.
 * - ChaCha20 (RFC 8439) keystream, key = finalSeed, nonce = 12 zero bytes, block
 *   counter from 0, read as consecutive 32-bit little-endian words.
 * - Fisher–Yates over the sorted hash list, i from n−1 down to 1:
 *   bound = i+1, limit = floor(2^32 / bound) × bound; draw words until w < limit;
 *   j = w mod bound; swap(i, j). Position k (0-based) gets queue number k+1.
 */
export const DRAW_VERSION = 'draw-v1';

const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const hexBytes = (hex: string, what: string): Buffer => {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error(`${what} must be lowercase hex`);
  return Buffer.from(hex, 'hex');
};

export function entrantHash(saltHex: string, userId: string): string {
  return sha256(hexBytes(saltHex, 'salt'), Buffer.from(userId, 'utf8')).toString('hex');
}

export function commitmentOf(seedHex: string): string {
  return sha256(hexBytes(seedHex, 'seed')).toString('hex');
}

export function entrantsDigest(sortedHashes: readonly string[]): string {
  return sha256(Buffer.from(sortedHashes.join('\n'), 'utf8')).toString('hex');
}

export function finalSeed(seedHex: string, digestHex: string, beaconHex: string): Buffer {
  return sha256(
    hexBytes(seedHex, 'seed'),
    hexBytes(digestHex, 'entrantsDigest'),
    hexBytes(beaconHex, 'beacon'),
  );
}

/** Endless ChaCha20 keystream as 32-bit little-endian words, produced in chunks. */
export class KeystreamWords {
  private readonly cipher;
  private buffer = Buffer.alloc(0);
  private offset = 0;
  private static readonly ZEROS = Buffer.alloc(64 * 1024);

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('ChaCha20 key must be 32 bytes');
    // Node/OpenSSL take a 16-byte IV: 4-byte little-endian block counter, then the 12-byte nonce.
    this.cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  }

  next(): number {
    if (this.offset + 4 > this.buffer.length) {
      this.buffer = this.cipher.update(KeystreamWords.ZEROS);
      this.offset = 0;
    }
    const w = this.buffer.readUInt32LE(this.offset);
    this.offset += 4;
    return w;
  }
}

/** Shuffles a copy of `items` with draw-v1's Fisher–Yates driven by the keystream of `seed`. */
export function shuffle<T>(items: readonly T[], seed: Buffer): T[] {
  const out = items.slice();
  const words = new KeystreamWords(seed);
  for (let i = out.length - 1; i >= 1; i--) {
    const bound = i + 1;
    const limit = Math.floor(0x1_0000_0000 / bound) * bound;
    let w = words.next();
    while (w >= limit) w = words.next();
    const j = w % bound;
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

export interface DrawInput {
  seed: string;
  beacon: string;
  /** Entrant hashes; sorted and de-duplicated here. */
  entrantHashes: readonly string[];
}

export interface DrawResult {
  version: typeof DRAW_VERSION;
  commitment: string;
  entrantsDigest: string;
  sortedHashes: string[];
  /** Entrant hashes in queue order: element k has queue number k+1. */
  order: string[];
}

export function runDraw(input: DrawInput): DrawResult {
  const sortedHashes = [...new Set(input.entrantHashes)].sort();
  const digest = entrantsDigest(sortedHashes);
  const order = shuffle(sortedHashes, finalSeed(input.seed, digest, input.beacon));
  return {
    version: DRAW_VERSION,
    commitment: commitmentOf(input.seed),
    entrantsDigest: digest,
    sortedHashes,
    order,
  };
}

/** The document `GET /buffer/api/events/:id/fairness` publishes after the close. */
export interface FairnessDocument {
  version: string;
  eventId: string;
  commitment: string;
  seed: string;
  salt: string;
  beacon: string;
  beaconRound?: number | null;
  entrantsDigest: string;
  entrantHashes: string[];
  total: number;
}

export interface Verification {
  ok: boolean;
  problems: string[];
  /** entrant hash → queue number, recomputed. */
  numbers: Map<string, number>;
}

/** Recomputes everything in a fairness document; every mismatch is reported, not just the first. */
export function verifyFairness(doc: FairnessDocument): Verification {
  const problems: string[] = [];
  if (doc.version !== DRAW_VERSION) problems.push(`unknown algorithm ${doc.version}`);
  const hashes = doc.entrantHashes;
  try {
    if (commitmentOf(doc.seed) !== doc.commitment)
      problems.push('seed does not match the published commitment');
  } catch (e) {
    problems.push((e as Error).message);
  }
  for (let i = 0; i < hashes.length; i++) {
    if (!/^[0-9a-f]{64}$/.test(hashes[i]!)) problems.push(`entrant ${i} is not a SHA-256 hex hash`);
    if (i > 0 && hashes[i - 1]! >= hashes[i]!) {
      problems.push('entrant list is not sorted ascending without duplicates');
      break;
    }
  }
  const digest = entrantsDigest(hashes);
  if (digest !== doc.entrantsDigest) problems.push('entrant list does not match the published digest');
  if (doc.total !== hashes.length)
    problems.push(`total ${doc.total} differs from ${hashes.length} entrants listed`);
  const numbers = new Map<string, number>();
  try {
    shuffle(hashes, finalSeed(doc.seed, doc.entrantsDigest, doc.beacon)).forEach((h, i) =>
      numbers.set(h, i + 1),
    );
  } catch (e) {
    problems.push((e as Error).message);
  }
  return { ok: problems.length === 0, problems, numbers };
}

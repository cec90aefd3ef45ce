/**
 * draw-v1 recomputed in the fan's browser (Web Crypto SHA-256 + a ChaCha20 keystream
 * written out here), so a fan can check the draw without installing anything.
 *
 * This is deliberately a second, independent implementation of the algorithm in
 * `libs/common/src/draw/draw-v1.ts` (which uses node:crypto): the two are tested
 * against each other and the shared test vectors. The byte encodings are the ones
 * documented there (see also docs/architecture.md, "The draw (draw-v1)").
 */
export const DRAW_VERSION = 'draw-v1';

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

export interface Check {
  label: string;
  ok: boolean;
  detail?: string;
}

export interface BrowserVerification {
  ok: boolean;
  checks: Check[];
  /** The fan's entrant hash and recomputed number, when a user id was given. */
  mine?: { entrantHash: string; number: number | null };
  total: number;
}

const encoder = new TextEncoder();

function hexToBytes(hex: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error(`${what} must be lowercase hex`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const all = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

export async function entrantHash(saltHex: string, userId: string): Promise<string> {
  return bytesToHex(await sha256(hexToBytes(saltHex, 'salt'), encoder.encode(userId)));
}

export async function commitmentOf(seedHex: string): Promise<string> {
  return bytesToHex(await sha256(hexToBytes(seedHex, 'seed')));
}

export async function entrantsDigest(sortedHashes: readonly string[]): Promise<string> {
  return bytesToHex(await sha256(encoder.encode(sortedHashes.join('\n'))));
}

export async function finalSeed(seedHex: string, digestHex: string, beaconHex: string): Promise<Uint8Array> {
  return sha256(
    hexToBytes(seedHex, 'seed'),
    hexToBytes(digestHex, 'entrantsDigest'),
    hexToBytes(beaconHex, 'beacon'),
  );
}

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** ChaCha20 (RFC 8439) keystream, zero nonce, block counter from 0, as 32-bit little-endian words. */
export class KeystreamWords {
  private readonly input = new Uint32Array(16);
  private readonly block = new Uint32Array(16);
  private index = 16;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('ChaCha20 key must be 32 bytes');
    const k = new DataView(key.buffer, key.byteOffset, key.byteLength);
    this.input.set([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
    for (let i = 0; i < 8; i++) this.input[4 + i] = k.getUint32(4 * i, true);
    // input[12] is the block counter, input[13..15] the (zero) nonce.
  }

  next(): number {
    if (this.index === 16) this.refill();
    return this.block[this.index++]!;
  }

  // prettier-ignore
  private refill(): void {
    const s = this.input;
    let x0 = s[0]!, x1 = s[1]!, x2 = s[2]!, x3 = s[3]!, x4 = s[4]!, x5 = s[5]!, x6 = s[6]!, x7 = s[7]!;
    let x8 = s[8]!, x9 = s[9]!, x10 = s[10]!, x11 = s[11]!, x12 = s[12]!, x13 = s[13]!, x14 = s[14]!, x15 = s[15]!;
    for (let r = 0; r < 10; r++) {
      // column rounds
      x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 16); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 12);
      x0 = (x0 + x4) | 0; x12 = rotl(x12 ^ x0, 8); x8 = (x8 + x12) | 0; x4 = rotl(x4 ^ x8, 7);
      x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 16); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 12);
      x1 = (x1 + x5) | 0; x13 = rotl(x13 ^ x1, 8); x9 = (x9 + x13) | 0; x5 = rotl(x5 ^ x9, 7);
      x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 16); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 12);
      x2 = (x2 + x6) | 0; x14 = rotl(x14 ^ x2, 8); x10 = (x10 + x14) | 0; x6 = rotl(x6 ^ x10, 7);
      x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 16); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 12);
      x3 = (x3 + x7) | 0; x15 = rotl(x15 ^ x3, 8); x11 = (x11 + x15) | 0; x7 = rotl(x7 ^ x11, 7);
      // diagonal rounds
      x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 16); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 12);
      x0 = (x0 + x5) | 0; x15 = rotl(x15 ^ x0, 8); x10 = (x10 + x15) | 0; x5 = rotl(x5 ^ x10, 7);
      x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 16); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 12);
      x1 = (x1 + x6) | 0; x12 = rotl(x12 ^ x1, 8); x11 = (x11 + x12) | 0; x6 = rotl(x6 ^ x11, 7);
      x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 16); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 12);
      x2 = (x2 + x7) | 0; x13 = rotl(x13 ^ x2, 8); x8 = (x8 + x13) | 0; x7 = rotl(x7 ^ x8, 7);
      x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 16); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 12);
      x3 = (x3 + x4) | 0; x14 = rotl(x14 ^ x3, 8); x9 = (x9 + x14) | 0; x4 = rotl(x4 ^ x9, 7);
    }
    const b = this.block;
    b[0] = x0 + s[0]!; b[1] = x1 + s[1]!; b[2] = x2 + s[2]!; b[3] = x3 + s[3]!;
    b[4] = x4 + s[4]!; b[5] = x5 + s[5]!; b[6] = x6 + s[6]!; b[7] = x7 + s[7]!;
    b[8] = x8 + s[8]!; b[9] = x9 + s[9]!; b[10] = x10 + s[10]!; b[11] = x11 + s[11]!;
    b[12] = x12 + s[12]!; b[13] = x13 + s[13]!; b[14] = x14 + s[14]!; b[15] = x15 + s[15]!;
    s[12] = (s[12]! + 1) >>> 0;
    this.index = 0;
  }
}

/** Shuffles a copy of `items` exactly as draw-v1 does (Fisher–Yates, rejection sampling). */
export function shuffle<T>(items: readonly T[], seed: Uint8Array): T[] {
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

/**
 * Recomputes the whole draw from a fairness document; with `userId`, also that fan's
 * entrant hash and number (compared with `expectedNumber` when given).
 */
export async function verifyInBrowser(
  doc: FairnessDocument,
  opts: { userId?: string | null; expectedNumber?: number | null; late?: boolean } = {},
): Promise<BrowserVerification> {
  const checks: Check[] = [];
  const hashes = doc.entrantHashes;
  checks.push({
    label: `Algorithm is ${DRAW_VERSION}`,
    ok: doc.version === DRAW_VERSION,
    detail: doc.version,
  });
  let commitmentOk = false;
  try {
    commitmentOk = (await commitmentOf(doc.seed)) === doc.commitment;
  } catch {
    commitmentOk = false;
  }
  checks.push({
    label: 'The published seed matches the commitment shown before the close',
    ok: commitmentOk,
  });
  let sorted = true;
  for (let i = 0; i < hashes.length; i++) {
    if (!/^[0-9a-f]{64}$/.test(hashes[i]!) || (i > 0 && hashes[i - 1]! >= hashes[i]!)) {
      sorted = false;
      break;
    }
  }
  checks.push({ label: 'Entrant list is sorted, without duplicates', ok: sorted });
  const digest = await entrantsDigest(hashes);
  checks.push({ label: 'Entrant list matches its published digest', ok: digest === doc.entrantsDigest });
  checks.push({
    label: `Entrant count is ${doc.total.toLocaleString()}`,
    ok: doc.total === hashes.length,
    detail: `${hashes.length.toLocaleString()} listed`,
  });
  let order: string[] = [];
  try {
    order = shuffle(hashes, await finalSeed(doc.seed, doc.entrantsDigest, doc.beacon));
    checks.push({ label: 'Every queue number recomputed from seed, entrants and beacon', ok: true });
  } catch (e) {
    checks.push({ label: 'Every queue number recomputed', ok: false, detail: (e as Error).message });
  }
  let mine: BrowserVerification['mine'];
  if (opts.userId && !opts.late) {
    const eh = await entrantHash(doc.salt, opts.userId);
    const index = order.indexOf(eh);
    mine = { entrantHash: eh, number: index >= 0 ? index + 1 : null };
    if (index < 0) {
      checks.push({ label: 'You are in the draw', ok: false, detail: 'your entrant hash is not listed' });
    } else if (opts.expectedNumber != null) {
      checks.push({
        label: `Your number ${opts.expectedNumber.toLocaleString()} is what the draw gives you`,
        ok: index + 1 === opts.expectedNumber,
        detail: `recomputed: ${(index + 1).toLocaleString()}`,
      });
    }
  }
  return { ok: checks.every((c) => c.ok), checks, mine, total: hashes.length };
}

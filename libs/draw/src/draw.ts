import { bytesToHex, hexToBytes, MalformedInputError, utf8 } from './bytes';
import { sha256, sha256Large } from './sha256';
import { shuffle } from './shuffle';

/**
 * The draw's arithmetic, shared by both versions (docs/fairness.md is the specification;
 * every encoding below is spelled out there byte by byte).
 */
export const DRAW_V1 = 'draw-v1';
export const DRAW_V2 = 'draw-v2';
export type DrawVersion = typeof DRAW_V1 | typeof DRAW_V2;

/** Domain tag in front of draw-v2's final seed, so no v1 input can produce a v2 seed. */
export const DRAW_V2_TAG = 'ticketslave-draw-v2';

/** hex(SHA-256(salt_bytes ‖ utf8(userId))), lowercase. */
export function entrantHash(saltHex: string, userId: string): string {
  return bytesToHex(sha256(hexToBytes(saltHex, 'salt'), utf8(userId)));
}

/** hex(SHA-256(seed_bytes)). */
export function commitmentOf(seedHex: string): string {
  return bytesToHex(sha256(hexToBytes(seedHex, 'seed')));
}

/** The entrant list as the digest hashes it: the hashes joined by '\n' (no trailing newline), UTF-8. */
export function entrantListBytes(sortedHashes: readonly string[]): Uint8Array {
  const n = sortedHashes.length;
  // Fast path for the only list an honest document has: 64 hex characters per entry.
  if (sortedHashes.every((h) => h.length === 64 && /^[0-9a-f]*$/.test(h))) {
    const out = new Uint8Array(n === 0 ? 0 : n * 65 - 1);
    let at = 0;
    for (let k = 0; k < n; k++) {
      const h = sortedHashes[k]!;
      for (let i = 0; i < 64; i++) out[at++] = h.charCodeAt(i);
      if (k < n - 1) out[at++] = 0x0a;
    }
    return out;
  }
  return utf8(sortedHashes.join('\n'));
}

/** hex(SHA-256(utf8(sortedHashes joined by '\n'))). */
export async function entrantsDigest(sortedHashes: readonly string[]): Promise<string> {
  return entrantListDigest(entrantListBytes(sortedHashes));
}

/** hex(SHA-256(list)) of an entrant list already in its byte form (`entrantListBytes`). */
export async function entrantListDigest(list: Uint8Array): Promise<string> {
  return bytesToHex(await sha256Large(list));
}

/**
 * Checks an entrant list in byte form (`count` hashes of 64 lowercase hex, joined by '\n')
 * is what the draw takes: that shape, strictly ascending (sorted and without duplicates).
 * Throws naming the first offence; a duplicate would be one user id twice, which the draw
 * refuses rather than drop one (docs/fairness.md §3).
 */
export function assertSortedEntrantList(list: Uint8Array, count: number): void {
  if (list.length !== (count === 0 ? 0 : count * 65 - 1))
    throw new Error(`an entrant list of ${count} hashes must be ${count * 65 - 1} bytes, not ${list.length}`);
  for (let k = 0; k < count; k++) {
    const at = k * 65;
    for (let i = at; i < at + 64; i++) {
      const c = list[i]!;
      if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)))
        throw new Error(`entrant hash ${k + 1} is not 64 lowercase hex`);
    }
    if (k < count - 1 && list[at + 64] !== 0x0a)
      throw new Error(`entrant hash ${k + 1} is not followed by '\n'`);
    if (k === 0) continue;
    let cmp = 0;
    for (let i = 0; i < 64 && cmp === 0; i++) cmp = list[at - 65 + i]! - list[at + i]!;
    if (cmp === 0)
      throw new Error(`two entrants share the hash ${new TextDecoder().decode(list.subarray(at, at + 64))}`);
    if (cmp > 0) throw new Error(`entrant hashes ${k} and ${k + 1} are not in ascending order`);
  }
}

/** draw-v1: SHA-256(seed ‖ entrantsDigest ‖ beacon), the beacon any length (empty when there was none). */
export function finalSeedV1(seedHex: string, digestHex: string, beaconHex: string): Uint8Array {
  return sha256(
    hexToBytes(seedHex, 'seed'),
    hexToBytes(digestHex, 'entrantsDigest'),
    hexToBytes(beaconHex, 'beacon'),
  );
}

/** draw-v2: SHA-256(utf8("ticketslave-draw-v2") ‖ seed ‖ entrantsDigest ‖ randomness), each 32 bytes. */
export function finalSeedV2(seedHex: string, digestHex: string, randomnessHex: string): Uint8Array {
  const parts = [
    hexToBytes(seedHex, 'seed'),
    hexToBytes(digestHex, 'entrantsDigest'),
    hexToBytes(randomnessHex, 'beacon randomness'),
  ];
  if (parts.some((p) => p.length !== 32))
    throw new MalformedInputError('seed, entrantsDigest and beacon randomness must be 32 bytes each');
  return sha256(utf8(DRAW_V2_TAG), ...parts);
}

/** Sorted ascending (JavaScript string order, which for lowercase hex is byte order), without duplicates. */
export const sortedUnique = (hashes: readonly string[]): string[] => [...new Set(hashes)].sort();

export interface DrawResult {
  commitment: string;
  entrantsDigest: string;
  sortedHashes: string[];
  /** Entrant hashes in queue order: element k has queue number k+1. */
  order: string[];
}

/**
 * The whole draw over a list of entrant hashes (sorted and de-duplicated here). `beacon`
 * is draw-v1's beacon hex, or draw-v2's round randomness.
 */
export async function runDraw(input: {
  version: DrawVersion;
  seed: string;
  beacon: string;
  entrantHashes: readonly string[];
}): Promise<DrawResult> {
  const sortedHashes = sortedUnique(input.entrantHashes);
  const digest = await entrantsDigest(sortedHashes);
  const key =
    input.version === DRAW_V2
      ? finalSeedV2(input.seed, digest, input.beacon)
      : finalSeedV1(input.seed, digest, input.beacon);
  return {
    commitment: commitmentOf(input.seed),
    entrantsDigest: digest,
    sortedHashes,
    order: shuffle(sortedHashes, key),
  };
}

import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import {
  DRAW_V1,
  DRAW_V2,
  assertSortedEntrantList,
  commitmentOf,
  entrantHash,
  entrantListBytes,
  entrantListDigest,
  entrantsDigest,
  finalSeedV2,
  runDraw,
} from './draw';
import { KeystreamWords, shuffle, shuffledIndices } from './shuffle';

const SALT = '00'.repeat(32);
const SEED = '11'.repeat(32);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const hashes = USERS.map((u) => entrantHash(SALT, u));
const placeOf = (order: string[]) => USERS.map((u) => order.indexOf(entrantHash(SALT, u)) + 1);

/**
 * docs/fairness.md implemented a second time from the page, with node:crypto only
 * (OpenSSL's SHA-256 and ChaCha20): the library must agree with it number for number.
 */
function reimplementedV2(seed: string, randomness: string, entrants: string[]): string[] {
  const sorted = [...new Set(entrants)].sort();
  const digest = createHash('sha256').update(sorted.join('\n'), 'utf8').digest();
  const key = createHash('sha256')
    .update('ticketslave-draw-v2', 'utf8')
    .update(Buffer.from(seed, 'hex'))
    .update(digest)
    .update(Buffer.from(randomness, 'hex'))
    .digest();
  // OpenSSL's IV is the 4-byte little-endian block counter followed by the 12-byte nonce.
  const cipher = createCipheriv('chacha20', key, Buffer.alloc(16));
  let stream = Buffer.alloc(0);
  let at = 0;
  const word = () => {
    if (at + 4 > stream.length) {
      stream = cipher.update(Buffer.alloc(4096));
      at = 0;
    }
    at += 4;
    return stream.readUInt32LE(at - 4);
  };
  const out = [...sorted];
  for (let i = out.length - 1; i >= 1; i--) {
    const limit = Math.floor(2 ** 32 / (i + 1)) * (i + 1);
    let w = word();
    while (w >= limit) w = word();
    const j = w % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('the draw', () => {
  it('uses the RFC 8439 ChaCha20 keystream (all-zero key and nonce, test vector A.1 #1)', () => {
    const words = new KeystreamWords(new Uint8Array(32));
    expect([words.next(), words.next(), words.next()].map((w) => w.toString(16))).toEqual([
      'ade0b876',
      '903df1a0',
      'e56a5d40',
    ]);
  });

  it('reads the keystream on across its internal chunks exactly as OpenSSL produces it', () => {
    const key = randomBytes(32);
    const ours = new KeystreamWords(new Uint8Array(key));
    const openssl = createCipheriv('chacha20', key, Buffer.alloc(16)).update(Buffer.alloc(4 * 20_000));
    for (let i = 0; i < 20_000; i++) expect(ours.next()).toBe(openssl.readUInt32LE(4 * i));
  });

  it('keeps the draw-v1 test vectors, so documents of past events still verify', async () => {
    expect(entrantHash(SALT, 'alice')).toBe(
      'aefe7a9b30f2f36770eb1675d4140f913171eb5fc2cdc45d1f2234578a2aad36',
    );
    expect(commitmentOf(SEED)).toBe('02d449a31fbb267c8f352e9968a79e3e5fc95c1bbeaa502fd6454ebde5a4bedc');
    const noBeacon = await runDraw({ version: DRAW_V1, seed: SEED, beacon: '', entrantHashes: hashes });
    expect(noBeacon.entrantsDigest).toBe('8ade7b3e6d5ceb9d29494798909ade40feda92d59df9a09e0b7f39b152b7e6f9');
    expect(placeOf(noBeacon.order)).toEqual([1, 4, 2, 5, 3]);
    const beacon = await runDraw({
      version: DRAW_V1,
      seed: SEED,
      beacon: 'ab'.repeat(32),
      entrantHashes: hashes,
    });
    expect(placeOf(beacon.order)).toEqual([5, 2, 3, 4, 1]);
  });

  it('has fixed draw-v2 test vectors (docs/fairness.md)', async () => {
    const randomness = 'cd'.repeat(32);
    const digest = await entrantsDigest([...hashes].sort());
    expect(digest).toBe('8ade7b3e6d5ceb9d29494798909ade40feda92d59df9a09e0b7f39b152b7e6f9');
    expect(bytesHex(finalSeedV2(SEED, digest, randomness))).toBe(
      'eb38e7a534490e68207cf9a2c3b2ddc48ce7d792abfb92234028adf41dc16eb9',
    );
    const drawn = await runDraw({ version: DRAW_V2, seed: SEED, beacon: randomness, entrantHashes: hashes });
    expect(placeOf(drawn.order)).toEqual(V2_VECTOR);
  });

  it('agrees with an independent node:crypto implementation on every number of a 30,000-entrant draw', async () => {
    const salt = randomBytes(32).toString('hex');
    const entrants = Array.from({ length: 30_000 }, (_, i) => entrantHash(salt, `user-${i}`));
    const seed = randomBytes(32).toString('hex');
    const randomness = randomBytes(32).toString('hex');
    const ours = await runDraw({ version: DRAW_V2, seed, beacon: randomness, entrantHashes: entrants });
    expect(ours.order).toEqual(reimplementedV2(seed, randomness, entrants));
  });

  it('does not depend on the order entrants arrived in, and drops duplicates', async () => {
    const a = await runDraw({
      version: DRAW_V2,
      seed: SEED,
      beacon: SEED,
      entrantHashes: [...hashes].reverse(),
    });
    const b = await runDraw({
      version: DRAW_V2,
      seed: SEED,
      beacon: SEED,
      entrantHashes: [...hashes, hashes[0]!],
    });
    expect(a.order).toEqual(b.order);
    expect(b.order).toHaveLength(5);
  });

  it('gives every permutation of three items about equal probability', () => {
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const key = new Uint8Array(32);
      new DataView(key.buffer).setUint32(0, i, true);
      const k = shuffle(['a', 'b', 'c'], key).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // chi-square with 5 degrees of freedom; 20.5 is the 0.999 quantile
    const expected = n / 6;
    expect([...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0)).toBeLessThan(20.5);
  });

  it('shuffles indices exactly as it shuffles items', () => {
    const key = new Uint8Array(randomBytes(32));
    const items = Array.from({ length: 1000 }, (_, i) => `x${i}`);
    expect(Array.from(shuffledIndices(1000, key), (i) => items[i])).toEqual(shuffle(items, key));
    expect(shuffledIndices(0, key)).toHaveLength(0);
    expect([...shuffledIndices(1, key)]).toEqual([0]);
  });
});

const bytesHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Queue numbers of alice, bob, carol, dave, erin: salt 00…, seed 11…, randomness cd… */
const V2_VECTOR = [5, 3, 1, 4, 2];

describe('the entrant list in byte form', () => {
  const salt = '00'.repeat(32);
  const sorted = ['alice', 'bob', 'carol', 'dave', 'erin'].map((u) => entrantHash(salt, u)).sort();

  it('when digested as bytes, then it gives the digest of the hashes (test vector)', async () => {
    expect(await entrantListDigest(entrantListBytes(sorted))).toBe(
      '8ade7b3e6d5ceb9d29494798909ade40feda92d59df9a09e0b7f39b152b7e6f9',
    );
    expect(await entrantListDigest(new Uint8Array(0))).toBe(await entrantsDigest([]));
  });

  it('when sorted and unique, then it is accepted', () => {
    expect(() => assertSortedEntrantList(entrantListBytes(sorted), sorted.length)).not.toThrow();
    expect(() => assertSortedEntrantList(new Uint8Array(0), 0)).not.toThrow();
  });

  it('when two entrants share a hash, then it is refused rather than one dropped', () => {
    const twins = [...sorted.slice(0, 3), sorted[2]!, ...sorted.slice(3)];
    expect(() => assertSortedEntrantList(entrantListBytes(twins), twins.length)).toThrow(/share the hash/);
  });

  it('when out of order, not hex or not the right length, then it is refused', () => {
    const swapped = [sorted[1]!, sorted[0]!, ...sorted.slice(2)];
    expect(() => assertSortedEntrantList(entrantListBytes(swapped), 5)).toThrow(/ascending/);
    const upper = [sorted[0]!.toUpperCase(), ...sorted.slice(1)];
    expect(() => assertSortedEntrantList(entrantListBytes(upper), 5)).toThrow(/lowercase hex/);
    expect(() => assertSortedEntrantList(entrantListBytes(sorted), 4)).toThrow(/bytes/);
  });
});

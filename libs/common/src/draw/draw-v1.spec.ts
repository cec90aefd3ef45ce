import {
  commitmentOf,
  entrantHash,
  KeystreamWords,
  runDraw,
  shuffle,
  verifyFairness,
  type FairnessDocument,
} from './draw-v1';

const SALT = '00'.repeat(32);
const SEED = '11'.repeat(32);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

function fairnessDoc(beacon = ''): FairnessDocument {
  const r = runDraw({ seed: SEED, beacon, entrantHashes: USERS.map((u) => entrantHash(SALT, u)) });
  return {
    version: 'draw-v1',
    eventId: 'e',
    commitment: r.commitment,
    seed: SEED,
    salt: SALT,
    beacon,
    entrantsDigest: r.entrantsDigest,
    entrantHashes: r.sortedHashes,
    total: r.sortedHashes.length,
  };
}

describe('draw-v1', () => {
  it('uses the RFC 8439 ChaCha20 keystream (all-zero key and nonce, test vector A.1 #1)', () => {
    const words = new KeystreamWords(Buffer.alloc(32));
    expect([words.next(), words.next(), words.next()].map((w) => w.toString(16))).toEqual([
      'ade0b876',
      '903df1a0',
      'e56a5d40',
    ]);
  });

  it('matches the published test vectors', () => {
    expect(entrantHash(SALT, 'alice')).toBe(
      'aefe7a9b30f2f36770eb1675d4140f913171eb5fc2cdc45d1f2234578a2aad36',
    );
    expect(commitmentOf(SEED)).toBe('02d449a31fbb267c8f352e9968a79e3e5fc95c1bbeaa502fd6454ebde5a4bedc');
    const noBeacon = runDraw({
      seed: SEED,
      beacon: '',
      entrantHashes: USERS.map((u) => entrantHash(SALT, u)),
    });
    expect(noBeacon.entrantsDigest).toBe('8ade7b3e6d5ceb9d29494798909ade40feda92d59df9a09e0b7f39b152b7e6f9');
    expect(USERS.map((u) => noBeacon.order.indexOf(entrantHash(SALT, u)) + 1)).toEqual([1, 4, 2, 5, 3]);
    const withBeacon = runDraw({
      seed: SEED,
      beacon: 'ab'.repeat(32),
      entrantHashes: USERS.map((u) => entrantHash(SALT, u)),
    });
    expect(USERS.map((u) => withBeacon.order.indexOf(entrantHash(SALT, u)) + 1)).toEqual([5, 2, 3, 4, 1]);
  });

  it('does not depend on the order entrants arrived in', () => {
    const hashes = USERS.map((u) => entrantHash(SALT, u));
    expect(runDraw({ seed: SEED, beacon: '', entrantHashes: [...hashes].reverse() }).order).toEqual(
      runDraw({ seed: SEED, beacon: '', entrantHashes: hashes }).order,
    );
  });

  it('gives every permutation of three items about equal probability', () => {
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const seed = Buffer.alloc(32);
      seed.writeUInt32LE(i);
      const key = shuffle(['a', 'b', 'c'], seed).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // chi-square with 5 degrees of freedom; 20.5 is the 0.999 quantile
    const expected = n / 6;
    const chi = [...counts.values()].reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(20.5);
  });

  describe('verifyFairness', () => {
    it('accepts an honest document and reproduces every number', () => {
      const v = verifyFairness(fairnessDoc('cd'.repeat(32)));
      expect(v.problems).toEqual([]);
      expect(v.ok).toBe(true);
      expect([...v.numbers.values()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    });

    it('rejects a seed that does not match the commitment', () => {
      const doc = { ...fairnessDoc(), seed: '22'.repeat(32) };
      expect(verifyFairness(doc).problems).toContain('seed does not match the published commitment');
    });

    it('rejects an entrant list with a fan dropped', () => {
      const doc = fairnessDoc();
      const tampered = { ...doc, entrantHashes: doc.entrantHashes.slice(1), total: doc.total - 1 };
      expect(verifyFairness(tampered).problems).toContain('entrant list does not match the published digest');
    });

    it('rejects a swapped beacon by its different numbers', () => {
      const honest = verifyFairness(fairnessDoc('cd'.repeat(32)));
      const swapped = verifyFairness({ ...fairnessDoc('cd'.repeat(32)), beacon: 'ce'.repeat(32) });
      expect([...swapped.numbers]).not.toEqual([...honest.numbers]);
    });

    it('rejects an unsorted list', () => {
      const doc = fairnessDoc();
      const [a, b, ...rest] = doc.entrantHashes;
      expect(verifyFairness({ ...doc, entrantHashes: [b!, a!, ...rest] }).problems).toContain(
        'entrant list is not sorted ascending without duplicates',
      );
    });
  });
});

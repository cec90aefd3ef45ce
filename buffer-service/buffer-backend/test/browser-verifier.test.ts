import { randomBytes } from 'node:crypto';
import { entrantHash, KeystreamWords, runDraw, type FairnessDocument } from '@ticketslave/common';
import * as web from '../../buffer-frontend/src/lib/draw-v1';

/**
 * The buffer page recomputes the draw in the fan's browser with its own draw-v1
 * (Web Crypto + ChaCha20 in TypeScript); it must agree with libs/common's node:crypto
 * implementation bit for bit, and refuse what the CLI refuses.
 */
const SALT = '00'.repeat(32);
const SEED = '11'.repeat(32);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

function doc(users: string[], seed: string, salt: string, beacon: string): FairnessDocument {
  const r = runDraw({ seed, beacon, entrantHashes: users.map((u) => entrantHash(salt, u)) });
  return {
    version: 'draw-v1',
    eventId: 'e',
    commitment: r.commitment,
    seed,
    salt,
    beacon,
    entrantsDigest: r.entrantsDigest,
    entrantHashes: r.sortedHashes,
    total: r.sortedHashes.length,
  };
}

async function numberOf(d: FairnessDocument, user: string) {
  return (await web.verifyInBrowser(d, { userId: user })).mine?.number;
}

describe('the browser draw-v1 verifier', () => {
  it('produces the RFC 8439 ChaCha20 keystream, across block boundaries', () => {
    const key = randomBytes(32);
    const a = new KeystreamWords(key);
    const b = new web.KeystreamWords(new Uint8Array(key));
    for (let i = 0; i < 16 * 40; i++) expect(b.next()).toBe(a.next());
    const zero = new web.KeystreamWords(new Uint8Array(32));
    expect([zero.next(), zero.next(), zero.next()].map((w) => w.toString(16))).toEqual([
      'ade0b876',
      '903df1a0',
      'e56a5d40',
    ]);
  });

  it('matches the published test vectors', async () => {
    expect(await web.entrantHash(SALT, 'alice')).toBe(
      'aefe7a9b30f2f36770eb1675d4140f913171eb5fc2cdc45d1f2234578a2aad36',
    );
    const noBeacon = doc(USERS, SEED, SALT, '');
    expect(await Promise.all(USERS.map((u) => numberOf(noBeacon, u)))).toEqual([1, 4, 2, 5, 3]);
    const withBeacon = doc(USERS, SEED, SALT, 'ab'.repeat(32));
    expect(await Promise.all(USERS.map((u) => numberOf(withBeacon, u)))).toEqual([5, 2, 3, 4, 1]);
  });

  it('agrees with libs/common on every number of a random 20,000-entrant draw', async () => {
    const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}-${randomBytes(4).toString('hex')}`);
    const salt = randomBytes(32).toString('hex');
    const d = doc(users, randomBytes(32).toString('hex'), salt, randomBytes(32).toString('hex'));
    const expected = runDraw({
      seed: d.seed,
      beacon: d.beacon,
      entrantHashes: d.entrantHashes,
    }).order;
    const result = await web.verifyInBrowser(d, { userId: users[123], expectedNumber: null });
    expect(result.ok).toBe(true);
    expect(result.mine?.number).toBe(expected.indexOf(entrantHash(salt, users[123]!)) + 1);
    const seed = await web.finalSeed(d.seed, d.entrantsDigest, d.beacon);
    expect(web.shuffle(d.entrantHashes, seed)).toEqual(expected);
  });

  it('flags a number that is not the one the draw gives', async () => {
    const d = doc(USERS, SEED, SALT, '');
    const right = await web.verifyInBrowser(d, { userId: 'bob', expectedNumber: 4 });
    expect(right.ok).toBe(true);
    const wrong = await web.verifyInBrowser(d, { userId: 'bob', expectedNumber: 1 });
    expect(wrong.ok).toBe(false);
    const stranger = await web.verifyInBrowser(d, { userId: 'mallory' });
    expect(stranger.ok).toBe(false);
    expect(stranger.mine?.number).toBeNull();
  });

  it.each([
    ['seed', (d: FairnessDocument) => ({ ...d, seed: '22'.repeat(32) })],
    ['entrant list', (d: FairnessDocument) => ({ ...d, entrantHashes: d.entrantHashes.slice(1) })],
    ['digest', (d: FairnessDocument) => ({ ...d, entrantsDigest: 'ff'.repeat(32) })],
    ['unsorted list', (d: FairnessDocument) => ({ ...d, entrantHashes: [...d.entrantHashes].reverse() })],
    ['version', (d: FairnessDocument) => ({ ...d, version: 'draw-v0' })],
  ])('rejects a tampered %s', async (_what, tamper) => {
    const d = doc(USERS, SEED, SALT, 'ab'.repeat(32));
    expect((await web.verifyInBrowser(d)).ok).toBe(true);
    expect((await web.verifyInBrowser(tamper(d))).ok).toBe(false);
  });

  it('reports a changed beacon as a different draw for the fan', async () => {
    const d = doc(USERS, SEED, SALT, 'ab'.repeat(32));
    const other = { ...d, beacon: 'cd'.repeat(32) };
    const numbers = await Promise.all(USERS.map((u) => numberOf(other, u)));
    expect(numbers).not.toEqual(await Promise.all(USERS.map((u) => numberOf(d, u))));
  });
});

import { randomBytes } from 'node:crypto';
import { DRAW_V2, entrantHash, entrantListBytes } from './draw';
import {
  serializeFairnessDocument,
  serializeFairnessDocumentBytes,
  type FairnessDocumentV2,
} from './document';

const doc = (entrantHashes: string[]): FairnessDocumentV2 => ({
  version: DRAW_V2,
  eventId: '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
  commitment: 'aa'.repeat(32),
  seed: 'bb'.repeat(32),
  salt: 'cc'.repeat(32),
  closedAt: '2026-05-01T18:00:00.123Z',
  beacon: {
    chain: {
      public_key: 'dd'.repeat(48),
      period: 3,
      genesis_time: 1692803367,
      hash: 'ee'.repeat(32),
      groupHash: 'ff'.repeat(32),
      schemeID: 'bls-unchained-g1-rfc9380',
      metadata: { beaconID: 'quicknet — "test"' },
    },
    round: 12345678,
    signature: '01'.repeat(48),
    randomness: '02'.repeat(32),
  },
  receiptKeys: {
    issuer: 'ticketslave-buffer',
    jwksUrl: 'https://x/jwks.json',
    keys: [{ kty: 'OKP', x: 'é' }],
  },
  entrantsDigest: '03'.repeat(32),
  total: entrantHashes.length,
  entrantHashes,
});

describe('serializeFairnessDocumentBytes', () => {
  it.each([0, 1, 2, 5000])(
    'when built from the byte form of %i entrants, then it is exactly the UTF-8 of serializeFairnessDocument',
    (n) => {
      const salt = randomBytes(32).toString('hex');
      const hashes = Array.from({ length: n }, (_, i) => entrantHash(salt, `u${i}`)).sort();
      const { entrantHashes, ...head } = doc(hashes);
      const bytes = serializeFairnessDocumentBytes(head, entrantListBytes(entrantHashes), n);
      expect(Buffer.from(bytes).equals(Buffer.from(serializeFairnessDocument(doc(hashes)), 'utf8'))).toBe(
        true,
      );
    },
  );

  it('when the list does not hold count hashes, then it refuses', () => {
    const { entrantHashes: _, ...head } = doc([]);
    expect(() => serializeFairnessDocumentBytes(head, new Uint8Array(64), 2)).toThrow(/2 hashes/);
  });
});

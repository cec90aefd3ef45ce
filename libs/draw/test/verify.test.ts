import { randomBytes } from 'node:crypto';
import {
  DRAW_V1,
  V1_CAVEAT,
  entrantHash,
  parseFairnessDocument,
  parseReceiptFile,
  runDraw,
  verifyDraw,
  type FairnessDocumentV1,
} from '../src';
import { makeFixture, receiptSigner } from './fixtures';

const SALT = '00'.repeat(32);
const SEED = '11'.repeat(32);
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

/** A fairness document exactly as the buffer published them before draw-v2. */
async function v1Document(beacon: string): Promise<FairnessDocumentV1> {
  const r = await runDraw({
    version: DRAW_V1,
    seed: SEED,
    beacon,
    entrantHashes: USERS.map((u) => entrantHash(SALT, u)),
  });
  return {
    version: DRAW_V1,
    eventId: 'e',
    commitment: r.commitment,
    seed: SEED,
    salt: SALT,
    beacon,
    beaconRound: 42,
    entrantsDigest: r.entrantsDigest,
    entrantHashes: r.sortedHashes,
    total: r.sortedHashes.length,
  };
}

describe('verifyDraw', () => {
  it('rejects a swapped beacon (draw-v2): the beacon-randomness check fails', async () => {
    const f = await makeFixture();
    const trust = [{ info: f.chainInfo, source: 'test' }];
    expect((await verifyDraw(f.doc, { trustChains: trust })).ok).toBe(true);
    const swapped = { ...f.doc, beacon: { ...f.doc.beacon, randomness: randomBytes(32).toString('hex') } };
    const v = await verifyDraw(swapped, { trustChains: trust });
    expect(v.ok).toBe(false);
    expect(v.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['beacon-randomness']);
  });

  it('works out each receipt holder’s number, as the draw gave it', async () => {
    const f = await makeFixture({ users: Array.from({ length: 500 }, (_, i) => `fan-${i}`) });
    const receipts = ['fan-0', 'fan-250', 'fan-499'].map((u) => parseReceiptFile(f.receiptFiles.get(u)!));
    const v = await verifyDraw(f.doc, { receipts, trustChains: [{ info: f.chainInfo, source: 'test' }] });
    expect(v.ok).toBe(true);
    expect(v.subjects.map((s) => s.number)).toEqual(
      ['fan-0', 'fan-250', 'fan-499'].map((u) => f.numbers.get(u)),
    );
  });

  it('rejects a document whose receipt keys differ from the ones the fan saved', async () => {
    const f = await makeFixture();
    const other = receiptSigner(f.signer.jwk.kid);
    const v = await verifyDraw(f.doc, {
      receipts: [{ ...parseReceiptFile(f.receiptFiles.get('alice')!), savedKeys: [other.jwk] }],
      trustChains: [{ info: f.chainInfo, source: 'test' }],
    });
    expect(v.checks.find((c) => c.status === 'fail')).toMatchObject({ id: 'receipt-signature' });
  });

  describe('draw-v1 documents of past events', () => {
    it('still verify, labelled "v1: beacon not authenticated, commitment not bound"', async () => {
      const doc = parseFairnessDocument(JSON.parse(JSON.stringify(await v1Document('ab'.repeat(32)))));
      const v = await verifyDraw(doc, { userId: 'bob', expect: 2 });
      expect(v.ok).toBe(true);
      expect(v.caveats).toEqual([V1_CAVEAT]);
      expect(v.subjects[0]).toMatchObject({ subject: 'user bob', number: 2 });
      expect(v.checks.find((c) => c.id === 'beacon-chain')).toMatchObject({ status: 'skip' });
    });

    it('cannot tell a swapped beacon (it was never authenticated), and says so', async () => {
      const doc = await v1Document('ab'.repeat(32));
      const v = await verifyDraw({ ...doc, beacon: 'cd'.repeat(32) });
      expect(v.ok).toBe(true);
      expect(v.caveats).toContain(V1_CAVEAT);
    });

    it('rejects a seed that does not match the commitment, and a dropped fan', async () => {
      const doc = await v1Document('');
      expect(
        (await verifyDraw({ ...doc, seed: '22'.repeat(32) })).checks.find((c) => c.status === 'fail')?.id,
      ).toBe('commitment');
      const dropped = { ...doc, entrantHashes: doc.entrantHashes.slice(1), total: doc.total - 1 };
      expect((await verifyDraw(dropped)).checks.find((c) => c.status === 'fail')?.id).toBe('entrants-digest');
    });
  });
});

import { randomBytes } from 'node:crypto';
import {
  DRAW_V2,
  entrantHash,
  entrantsDigest,
  newDrandSecretKey,
  ownDrandChain,
  runDraw,
  type CheckId,
  type FairnessDocumentV2,
} from '../src';
import type { Fixture } from './fixtures';

/** What a forger hands the verifier: a document, the fans' receipt files, and perhaps an expected number. */
export interface Forged {
  doc: FairnessDocumentV2;
  /** Receipt files (JSON text) the fans present. */
  receipts: string[];
  expect?: number;
}

export interface Forgery {
  name: string;
  /** The check that must fail. */
  caughtBy: CheckId;
  forge(f: Fixture): Promise<Forged>;
}

const receiptsOf = (f: Fixture, users = f.users.slice(0, 2)) => users.map((u) => f.receiptFiles.get(u)!);

/** Redraws with other inputs so the rest of the document agrees with itself. */
async function redraw(f: Fixture, changes: { seed?: string; randomness?: string; hashes?: string[] }) {
  const seed = changes.seed ?? f.doc.seed;
  const drawn = await runDraw({
    version: DRAW_V2,
    seed,
    beacon: changes.randomness ?? f.doc.beacon.randomness,
    entrantHashes: changes.hashes ?? f.doc.entrantHashes,
  });
  return {
    seed,
    commitment: drawn.commitment,
    entrantsDigest: drawn.entrantsDigest,
    entrantHashes: drawn.sortedHashes,
    total: drawn.sortedHashes.length,
  };
}

/** Every forgery issue 15 names, each caught by one named check (CLI and browser page alike). */
export const FORGERIES: Forgery[] = [
  {
    name: 'seed and commitment replaced together',
    caughtBy: 'receipt-commitment',
    forge: async (f) => {
      const seed = randomBytes(32).toString('hex');
      return { doc: { ...f.doc, ...(await redraw(f, { seed })) }, receipts: receiptsOf(f) };
    },
  },
  {
    name: 'beacon value changed',
    caughtBy: 'beacon-randomness',
    forge: async (f) => ({
      doc: { ...f.doc, beacon: { ...f.doc.beacon, randomness: randomBytes(32).toString('hex') } },
      receipts: receiptsOf(f),
    }),
  },
  {
    name: 'beacon of a later round',
    caughtBy: 'beacon-round',
    forge: async (f) => {
      const later = f.chain.sign(f.doc.beacon.round + 1);
      return {
        doc: { ...f.doc, beacon: { ...f.doc.beacon, ...later } },
        receipts: receiptsOf(f),
      };
    },
  },
  {
    name: 'beacon signed by another key',
    caughtBy: 'beacon-signature',
    forge: async (f) => {
      const impostor = ownDrandChain({
        secretKey: newDrandSecretKey(),
        period: f.chainInfo.period,
        genesisTime: f.chainInfo.genesis_time,
        beaconID: f.chainInfo.metadata.beaconID,
      });
      const round = impostor.sign(f.doc.beacon.round);
      return { doc: { ...f.doc, beacon: { ...f.doc.beacon, ...round } }, receipts: receiptsOf(f) };
    },
  },
  {
    name: 'beacon chain replaced by a chain of the operator',
    caughtBy: 'beacon-chain',
    forge: async (f) => {
      const own = ownDrandChain({
        secretKey: newDrandSecretKey(),
        period: f.chainInfo.period,
        genesisTime: f.chainInfo.genesis_time,
        beaconID: f.chainInfo.metadata.beaconID,
      });
      return {
        doc: { ...f.doc, beacon: { chain: own.info, ...own.sign(f.doc.beacon.round) } },
        receipts: receiptsOf(f),
      };
    },
  },
  {
    name: 'an entrant with a receipt removed, digest and total recomputed',
    caughtBy: 'receipt-in-draw',
    forge: async (f) => {
      const dropped = entrantHash(f.doc.salt, f.users[0]!);
      return {
        doc: { ...f.doc, ...(await redraw(f, { hashes: f.doc.entrantHashes.filter((h) => h !== dropped) })) },
        receipts: receiptsOf(f, [f.users[0]!]),
      };
    },
  },
  {
    name: 'two entrants swapped, digest recomputed',
    caughtBy: 'entrants-sorted',
    forge: async (f) => {
      const [a, b, ...rest] = f.doc.entrantHashes;
      const swapped = [b!, a!, ...rest];
      return {
        doc: { ...f.doc, entrantHashes: swapped, entrantsDigest: await entrantsDigest(swapped) },
        receipts: receiptsOf(f),
      };
    },
  },
  {
    name: 'receipt from another event',
    caughtBy: 'receipt-event',
    forge: async (f) => ({
      doc: f.doc,
      receipts: [f.receiptFor(f.users[0]!, { evt: '00000000-0000-4000-8000-000000000000' })],
    }),
  },
  {
    name: 'receipt signed by a key the buffer does not have',
    caughtBy: 'receipt-signature',
    forge: async (f) => {
      const file = JSON.parse(f.receiptFiles.get(f.users[0]!)!) as { receipt: string };
      const [h, p, s] = file.receipt.split('.');
      const flipped = Buffer.from(s!, 'base64url');
      flipped[0] = flipped[0]! ^ 1;
      return {
        doc: f.doc,
        receipts: [JSON.stringify({ ...file, receipt: `${h}.${p}.${flipped.toString('base64url')}` })],
      };
    },
  },
  {
    name: 'a wrong expected number',
    caughtBy: 'expected-number',
    forge: async (f) => {
      const n = f.numbers.get(f.users[0]!)!;
      return { doc: f.doc, receipts: receiptsOf(f, [f.users[0]!]), expect: n === 1 ? 2 : n - 1 };
    },
  },
];

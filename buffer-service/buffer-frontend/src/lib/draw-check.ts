import {
  chainHash,
  DRAND_MAINNET,
  MalformedInputError,
  parseFairnessDocument,
  parseReceiptFile,
  sameChain,
  verifyDraw,
  type CheckId,
  type CheckResult,
  type DrawVerification,
  type FairnessDocument,
} from '@ticketslave/draw';

/**
 * "Check the draw" in the fan's browser: @ticketslave/draw's `verifyDraw`, the code
 * `npm run verify-draw` runs, with the receipt this browser kept (or one the fan uploads),
 * and each check's verdict in words a fan understands.
 */
export interface BrowserCheck {
  verification: DrawVerification;
  /** The document names a beacon chain that is not drand's public one, but is consistent: the fan may choose to trust it. */
  untrustedChain: boolean;
  /** One line per check, in plain words. */
  verdicts: { id: CheckId; status: CheckResult['status']; text: string; detail: string }[];
}

const WORDS: Record<CheckId, { pass: string; fail: string }> = {
  'beacon-chain': {
    pass: 'The public random value comes from a drand beacon chain you can trust.',
    fail: 'The public random value does not come from drand’s public beacon (or from a chain you chose to trust).',
  },
  'beacon-round': {
    pass: 'The random value is the first one the beacon published after the buffer closed: nobody knew it while fans could still join.',
    fail: 'The random value is not the one due at the close: someone could have picked a value they liked.',
  },
  'beacon-signature': {
    pass: 'The random value is signed by the beacon’s key, so it was not made up.',
    fail: 'The random value’s signature is not the beacon’s: it was made up.',
  },
  'beacon-randomness': {
    pass: 'The randomness used is exactly what the beacon’s signature gives.',
    fail: 'The randomness used is not what the beacon’s signature gives: it was changed.',
  },
  commitment: {
    pass: 'The secret seed matches the commitment published before the close.',
    fail: 'The secret seed does not match the commitment.',
  },
  'entrants-sorted': {
    pass: 'The list of fans in the draw is in order, with nobody listed twice.',
    fail: 'The list of fans in the draw is out of order or lists someone twice.',
  },
  'entrants-digest': {
    pass: 'The list of fans is exactly the one the draw was computed on.',
    fail: 'The list of fans is not the one the draw was computed on.',
  },
  'entrants-total': {
    pass: 'The number of fans in the draw matches the list.',
    fail: 'The number of fans in the draw does not match the list.',
  },
  'receipt-signature': {
    pass: 'Your join receipt is signed by TicketSlave’s buffer.',
    fail: 'Your join receipt’s signature does not check out.',
  },
  'receipt-event': {
    pass: 'Your join receipt is for this event.',
    fail: 'Your join receipt is not for this event.',
  },
  'receipt-commitment': {
    pass: 'The commitment signed into your receipt when you joined is the one the draw used.',
    fail: 'The draw used another commitment than the one signed into your receipt: the seed was replaced after you joined.',
  },
  'receipt-in-draw': {
    pass: 'You are in the draw.',
    fail: 'You joined before the close but you are missing from the draw.',
  },
  'late-after-on-time': {
    pass: 'You joined after the close, so you come after everyone in the draw, as promised.',
    fail: 'You joined after the close, but you were not put after everyone in the draw.',
  },
  'expected-number': {
    pass: 'The number the draw gives you is the number you were given.',
    fail: 'The number the draw gives you is not the number you were given.',
  },
};

export const plainWords = (c: CheckResult): string =>
  c.status === 'skip' ? `Not checked: ${c.detail}` : WORDS[c.id][c.status];

export interface CheckInput {
  document: unknown;
  /** A receipt file's text ("Save my receipt"), or the bare token. */
  receipt?: string | null;
  /** The number the fan was given, compared when there is a receipt. */
  expect?: number | null;
  /** Trust the beacon chain the document names (a test deployment's own beacon). */
  trustDocumentChain?: boolean;
}

export async function checkDraw(input: CheckInput): Promise<BrowserCheck> {
  const doc: FairnessDocument = parseFairnessDocument(input.document);
  const receipts = input.receipt ? [{ ...parseReceiptFile(input.receipt), label: 'your receipt' }] : [];
  const chain = doc.version === 'draw-v2' ? doc.beacon.chain : null;
  const untrustedChain =
    chain !== null && chainHash(chain) === chain.hash && !DRAND_MAINNET.some((c) => sameChain(c.info, chain));
  const verification = await verifyDraw(doc, {
    receipts,
    ...(receipts.length === 1 && input.expect ? { expect: input.expect } : {}),
    ...(chain && input.trustDocumentChain
      ? { trustChains: [{ info: chain, source: 'you chose to trust the chain this document names' }] }
      : {}),
  });
  return {
    verification,
    untrustedChain,
    verdicts: verification.checks.map((c) => ({
      id: c.id,
      status: c.status,
      text: plainWords(c),
      detail: c.detail,
    })),
  };
}

export { MalformedInputError };

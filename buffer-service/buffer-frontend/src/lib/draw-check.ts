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
import { t } from '../i18n/t';

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

/** Each check's verdict in the page's language (the words live in the catalogue: `check.<id>.pass|fail`). */
export const plainWords = (c: CheckResult): string =>
  c.status === 'skip' ? t('check.skipped', { detail: c.detail }) : t(`check.${c.id}.${c.status}`);

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

import { MalformedInputError } from './bytes';
import { DRAW_V1, commitmentOf, entrantHash, entrantsDigest, finalSeedV1, finalSeedV2 } from './draw';
import { DRAND_MAINNET } from './chains';
import {
  chainHash,
  firstRoundAtOrAfter,
  randomnessOf,
  roundTimeMs,
  sameChain,
  verifyRoundSignature,
  type DrandChainInfo,
} from './drand';
import type { FairnessDocument, FairnessDocumentV2 } from './document';
import { RECEIPT, verifyReceiptSignature, type LoadedReceipt, type PublicJwk } from './receipt';
import { shuffledIndices } from './shuffle';

/**
 * Every check a verifier runs, by name. The CLI prints these names; the browser page
 * words each for fans; docs/fairness.md says what each one rules out.
 */
export const CHECKS = {
  'beacon-chain': "the beacon comes from a trusted drand chain, and the chain's hash matches its info",
  'beacon-round': 'the beacon round is the first round at or after the close',
  'beacon-signature': "the beacon round is signed by the chain's key (BLS12-381)",
  'beacon-randomness': 'the beacon randomness is SHA-256 of the round signature',
  commitment: 'SHA-256(seed) equals the commitment',
  'entrants-sorted': 'the entrant list is sorted ascending, unique, 64 lowercase hex each',
  'entrants-digest': 'the entrant list hashes to entrantsDigest',
  'entrants-total': 'total equals the number of entrants listed',
  'receipt-signature': "the receipt is signed by the buffer's key",
  'receipt-event': 'the receipt is a join receipt for this event',
  'receipt-commitment': "the receipt's commitment equals the document's",
  'receipt-in-draw': 'the receipt holder, who joined before the close, is in the entrant list',
  'late-after-on-time': 'a late joiner is not in the draw and comes after every drawn number',
  'expected-number': 'the recomputed queue number equals the expected one',
} as const;
export type CheckId = keyof typeof CHECKS;

export interface CheckResult {
  id: CheckId;
  /** `skip`: does not apply to this document or input (said in `detail`). */
  status: 'pass' | 'fail' | 'skip';
  /** Which receipt (or user) a per-receipt check is about. */
  subject?: string;
  detail: string;
}

/** Someone whose place the verifier works out: a receipt holder, or a user id (draw-v1 style). */
export interface SubjectResult {
  subject: string;
  entrantHash: string;
  late: boolean;
  /** Recomputed queue number; null when not in the draw (or late: numbered after `total`). */
  number: number | null;
}

export interface DrawVerification {
  version: FairnessDocument['version'];
  eventId: string;
  total: number;
  ok: boolean;
  checks: CheckResult[];
  /** Things the verdict rests on that the checks cannot establish (v1 documents, a chain you supplied). */
  caveats: string[];
  /** The name of the beacon chain as trusted (e.g. "drand quicknet (mainnet)"), if any. */
  chainName?: string;
  subjects: SubjectResult[];
}

export interface VerifyOptions {
  receipts?: readonly (LoadedReceipt & { label?: string })[];
  /** Also work out this user's place from the salt (their entrant hash); for draw-v1 documents without receipts. */
  userId?: string;
  /** The queue number the (single) receipt holder or user was given. */
  expect?: number;
  /** Extra chains to trust besides drand's mainnet, with where they came from (said in the verdict). */
  trustChains?: readonly { info: DrandChainInfo; source: string }[];
  /** Keys for receipt signatures of draw-v1 documents, which name none. */
  receiptKeys?: readonly PublicJwk[];
}

export const V1_CAVEAT = 'v1: beacon not authenticated, commitment not bound';

/** Index of `value` in the ascending array, or −1. */
function binarySearch(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Verifies a fairness document (already parsed by `parseFairnessDocument`) with the
 * receipts fans kept. Runs every check, never stops at the first failure. Throws
 * MalformedInputError only for unusable options (e.g. `expect` without exactly one subject).
 */
export async function verifyDraw(doc: FairnessDocument, opts: VerifyOptions = {}): Promise<DrawVerification> {
  const receipts = opts.receipts ?? [];
  const subjectsIn = receipts.length + (opts.userId !== undefined ? 1 : 0);
  if (opts.expect !== undefined && subjectsIn !== 1)
    throw new MalformedInputError('--expect needs exactly one receipt (or one user id) to compare with');
  if (opts.expect !== undefined && (!Number.isSafeInteger(opts.expect) || opts.expect < 1))
    throw new MalformedInputError('the expected queue number must be a positive whole number');

  const checks: CheckResult[] = [];
  const caveats: string[] = [];
  const add = (id: CheckId, ok: boolean | 'skip', detail: string, subject?: string) =>
    checks.push({
      id,
      status: ok === 'skip' ? 'skip' : ok ? 'pass' : 'fail',
      detail,
      ...(subject ? { subject } : {}),
    });
  const v2 = doc.version !== DRAW_V1 ? doc : null;
  let chainName: string | undefined;

  // The beacon (draw-v2 only).
  if (v2) chainName = checkBeacon(v2, opts, add, caveats);
  else {
    caveats.push(V1_CAVEAT);
    add(
      'beacon-chain',
      'skip',
      `${V1_CAVEAT}: the beacon value ${doc.beacon ? 'is taken on trust' : 'is empty'}`,
    );
  }

  // The commitment.
  const commitmentOk = commitmentOf(doc.seed) === doc.commitment;
  add(
    'commitment',
    commitmentOk,
    commitmentOk ? 'SHA-256(seed) = commitment' : 'SHA-256(seed) differs from the published commitment',
  );

  // The entrant list.
  const hashes = doc.entrantHashes;
  let sortedProblem = '';
  for (let i = 0; i < hashes.length && !sortedProblem; i++) {
    if (!HASH.test(hashes[i]!)) sortedProblem = `entry ${i} is not 64 lowercase hex characters`;
    else if (i > 0 && hashes[i - 1]! >= hashes[i]!)
      sortedProblem = `entry ${i} is ${hashes[i - 1] === hashes[i] ? 'a duplicate' : 'out of order'}`;
  }
  add('entrants-sorted', !sortedProblem, sortedProblem || `${hashes.length} entrants, ascending and unique`);
  const digest = await entrantsDigest(hashes);
  add(
    'entrants-digest',
    digest === doc.entrantsDigest,
    digest === doc.entrantsDigest ? 'the list hashes to entrantsDigest' : `the list hashes to ${digest}`,
  );
  add(
    'entrants-total',
    doc.total === hashes.length,
    doc.total === hashes.length
      ? `${doc.total} entrants`
      : `total says ${doc.total}, the list has ${hashes.length}`,
  );

  // Every number, from the document's own values (so a forged value shows in the checks above).
  const key =
    doc.version === DRAW_V1
      ? finalSeedV1(doc.seed, doc.entrantsDigest, doc.beacon)
      : finalSeedV2(doc.seed, doc.entrantsDigest, doc.beacon.randomness);
  const order = shuffledIndices(hashes.length, key);
  const numberOf = (eh: string): number | null => {
    // An unsorted list is already a failure; still find the fan in it, so only that check fails.
    const sortedIndex = sortedProblem ? hashes.indexOf(eh) : binarySearch(hashes, eh);
    if (sortedIndex < 0) return null;
    const k = order.indexOf(sortedIndex);
    return k < 0 ? null : k + 1;
  };

  // The receipts, and the fan's place.
  const subjects: SubjectResult[] = [];
  const closedAtMs = v2 ? Date.parse(v2.closedAt) : undefined;
  receipts.forEach(({ receipt, savedKeys, label }, i) => {
    const subject = label ?? (receipts.length === 1 ? 'your receipt' : `receipt ${i + 1}`);
    const c = receipt.claims;
    // Signature: against the document's keys (draw-v1 documents name none: the keys given).
    const keys = v2 ? v2.receiptKeys.keys : (opts.receiptKeys ?? savedKeys);
    if (!keys)
      add('receipt-signature', 'skip', 'a draw-v1 document names no keys and none were given', subject);
    else {
      const sig = verifyReceiptSignature(receipt, keys);
      let detail = sig.ok ? `signed by key ${receipt.kid ?? '(no kid)'}` : sig.reason!;
      let ok = sig.ok;
      if (ok && v2 && savedKeys) {
        // The keys saved with the receipt corroborate (or contradict) the keys the document names.
        const saved = savedKeys.find((k) => k.kid === receipt.kid);
        const named = v2.receiptKeys.keys.find((k) => k.kid === receipt.kid);
        if (!saved || saved.x !== named?.x) {
          ok = false;
          detail = `the document's key ${receipt.kid} differs from the one saved with the receipt`;
        } else detail += ', the same key as saved with the receipt';
      }
      add('receipt-signature', ok, detail, subject);
    }
    const eventOk = c.evt === doc.eventId && c.iss === RECEIPT.issuer && c.aud === RECEIPT.audience;
    add(
      'receipt-event',
      eventOk,
      eventOk
        ? `a join receipt for event ${doc.eventId}`
        : c.evt !== doc.eventId
          ? `the receipt is for event ${c.evt}, the document for ${doc.eventId}`
          : `not a join receipt (issuer ${c.iss}, audience ${c.aud})`,
      subject,
    );
    if (!v2) add('receipt-commitment', 'skip', V1_CAVEAT, subject);
    else if (c.cmt === undefined)
      add('receipt-commitment', 'skip', 'the receipt predates draw-v2 and carries no commitment', subject);
    else
      add(
        'receipt-commitment',
        c.cmt === v2.commitment,
        c.cmt === v2.commitment
          ? 'the receipt signed this commitment when you joined'
          : `the receipt signed commitment ${c.cmt}, the document says ${v2.commitment}`,
        subject,
      );
    // Late: said by the receipt (draw-v2), else judged by the join time against the close.
    const late = c.late ?? (closedAtMs !== undefined && c.jat > closedAtMs);
    const number = numberOf(c.eh);
    if (!late) {
      const inTime = closedAtMs === undefined || c.jat <= closedAtMs;
      add(
        'receipt-in-draw',
        number !== null && inTime,
        number === null
          ? `entrant ${c.eh} joined before the close but is missing from the list`
          : inTime
            ? `entrant ${c.eh.slice(0, 12)}… is in the draw`
            : `the receipt says on time but was signed for ${new Date(c.jat).toISOString()}, after the close`,
        subject,
      );
    } else {
      const afterClose = closedAtMs === undefined || c.jat >= closedAtMs;
      const expectOk = opts.expect === undefined || opts.expect > doc.total;
      add(
        'late-after-on-time',
        number === null && afterClose && expectOk,
        number !== null
          ? 'a late joiner was put into the draw'
          : !afterClose
            ? `marked late, but joined at ${new Date(c.jat).toISOString()}, before the close`
            : !expectOk
              ? `late joiners come after number ${doc.total}; ${opts.expect} is not`
              : `joined after the close: numbered after all ${doc.total} drawn entrants`,
        subject,
      );
    }
    subjects.push({ subject, entrantHash: c.eh, late, number: late ? null : number });
  });
  if (opts.userId !== undefined) {
    const eh = entrantHash(doc.salt, opts.userId);
    subjects.push({ subject: `user ${opts.userId}`, entrantHash: eh, late: false, number: numberOf(eh) });
  }
  if (opts.expect !== undefined) {
    const s = subjects[0]!;
    if (!s.late)
      add(
        'expected-number',
        s.number === opts.expect,
        s.number === null
          ? `not in the draw, so not number ${opts.expect}`
          : s.number === opts.expect
            ? `number ${s.number}`
            : `the draw gives number ${s.number}, not ${opts.expect}`,
        s.subject,
      );
  }

  return {
    version: doc.version,
    eventId: doc.eventId,
    total: doc.total,
    ok: checks.every((c) => c.status !== 'fail'),
    checks,
    caveats,
    ...(chainName ? { chainName } : {}),
    subjects,
  };
}

function checkBeacon(
  doc: FairnessDocumentV2,
  opts: VerifyOptions,
  add: (id: CheckId, ok: boolean | 'skip', detail: string) => void,
  caveats: string[],
): string | undefined {
  const { chain } = doc.beacon;
  const recomputed = chainHash(chain);
  const mainnet = DRAND_MAINNET.find((c) => sameChain(c.info, chain));
  const supplied = opts.trustChains?.find((c) => sameChain(c.info, chain));
  let chainName: string | undefined;
  if (recomputed !== chain.hash)
    add('beacon-chain', false, `the chain info hashes to ${recomputed}, not to its hash ${chain.hash}`);
  else if (mainnet) {
    chainName = mainnet.name;
    add('beacon-chain', true, mainnet.name);
  } else if (supplied) {
    chainName = `chain ${chain.hash.slice(0, 16)}… (${chain.metadata.beaconID})`;
    const caveat = `the beacon chain ${chain.hash} is trusted only because you supplied its info (${supplied.source})`;
    caveats.push(caveat);
    add('beacon-chain', true, caveat);
  } else
    add(
      'beacon-chain',
      false,
      `chain ${chain.hash} (${chain.metadata.beaconID}) is not one of drand's public mainnet chains; supply its info to trust it`,
    );
  for (const c of beaconRoundChecks(chain, doc.beacon, Date.parse(doc.closedAt)))
    add(c.id, c.status === 'pass', c.detail);
  return chainName;
}

/**
 * The checks of one drand round against its chain and the close: the round is the first at
 * or after the close, its BLS signature verifies under the chain's key, and its randomness is
 * SHA-256 of the signature. The buffer runs exactly these before it draws (it never draws on a
 * round that fails one), and `verifyDraw` runs them on the document.
 */
export function beaconRoundChecks(
  chain: DrandChainInfo,
  beacon: { round: number; signature: string; previous_signature?: string; randomness: string },
  closedAtMs: number,
): CheckResult[] {
  const due = firstRoundAtOrAfter(chain, closedAtMs);
  const closedAt = new Date(closedAtMs).toISOString();
  const result = (id: CheckId, ok: boolean, detail: string): CheckResult => ({
    id,
    status: ok ? 'pass' : 'fail',
    detail,
  });
  const signature = verifyRoundSignature(chain, beacon);
  const randomness = randomnessOf(beacon.signature);
  return [
    result(
      'beacon-round',
      beacon.round === due,
      beacon.round === due
        ? `round ${due}, due ${new Date(roundTimeMs(chain, due)).toISOString()} (closed ${closedAt})`
        : `the close at ${closedAt} calls for round ${due}, the document used round ${beacon.round}`,
    ),
    result(
      'beacon-signature',
      signature.ok,
      signature.ok ? `round ${beacon.round} is signed by the chain` : signature.reason!,
    ),
    result(
      'beacon-randomness',
      randomness === beacon.randomness,
      randomness === beacon.randomness
        ? 'randomness = SHA-256(signature)'
        : `SHA-256(signature) is ${randomness}, not the randomness used`,
    ),
  ];
}

import { bls12_381 } from '@noble/curves/bls12-381.js';
import { bytesToHex, concatBytes, hexToBytes, isHex, MalformedInputError, u32be, u64be, utf8 } from './bytes';
import { sha256 } from './sha256';

/**
 * drand, as its HTTP API and its chains define it: chain info (`GET /info`), rounds
 * (`GET /public/<round>`), the chain hash, round timing, and the BLS12-381 signature
 * of each round. Checked against rounds of drand's own chains in drand.spec.ts.
 */
export interface DrandChainInfo {
  /** Hex of the compressed BLS12-381 public key (G2 for signatures on G1, G1 otherwise). */
  public_key: string;
  /** Seconds between rounds. */
  period: number;
  /** Unix seconds of round 1. */
  genesis_time: number;
  /** Hex of the chain hash (`chainHash` below). */
  hash: string;
  groupHash: string;
  schemeID: string;
  metadata: { beaconID: string };
}

/** One round as `GET /public/<round>` answers it. */
export interface DrandRound {
  round: number;
  randomness: string;
  signature: string;
  /** Chained schemes only. */
  previous_signature?: string;
}

const DST_G1 = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
const DST_G2 = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_';

/** The schemes we verify: where signatures live, whether a round signs its predecessor, and the hash-to-curve tag. */
export const DRAND_SCHEMES = {
  /** drand's default mainnet chain (30 s). */
  'pedersen-bls-chained': { signatureOn: 'G2', chained: true, dst: DST_G2 },
  'pedersen-bls-unchained': { signatureOn: 'G2', chained: false, dst: DST_G2 },
  /** drand quicknet (3 s): the scheme the buffer uses. */
  'bls-unchained-g1-rfc9380': { signatureOn: 'G1', chained: false, dst: DST_G1 },
} as const;
export type DrandSchemeId = keyof typeof DRAND_SCHEMES;

export const isSupportedScheme = (id: string): id is DrandSchemeId => Object.hasOwn(DRAND_SCHEMES, id);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Reads chain info as drand serves it; throws MalformedInputError naming the bad field. */
export function parseChainInfo(raw: unknown, what = 'chain info'): DrandChainInfo {
  if (!isObject(raw)) throw new MalformedInputError(`${what} is not a JSON object`);
  const bad = (field: string, want: string) => new MalformedInputError(`${what}: "${field}" must be ${want}`);
  if (!isHex(raw.public_key) || raw.public_key.length === 0) throw bad('public_key', 'lowercase hex');
  if (!Number.isInteger(raw.period) || (raw.period as number) < 1 || (raw.period as number) > 0xffff_ffff)
    throw bad('period', 'a positive whole number of seconds');
  if (!Number.isSafeInteger(raw.genesis_time) || (raw.genesis_time as number) < 0)
    throw bad('genesis_time', 'unix seconds');
  if (!isHex(raw.hash, 32)) throw bad('hash', '32 bytes of lowercase hex');
  if (!isHex(raw.groupHash)) throw bad('groupHash', 'lowercase hex');
  if (typeof raw.schemeID !== 'string') throw bad('schemeID', 'a string');
  const beaconID = isObject(raw.metadata) ? raw.metadata.beaconID : undefined;
  if (beaconID !== undefined && typeof beaconID !== 'string') throw bad('metadata.beaconID', 'a string');
  return {
    public_key: raw.public_key,
    period: raw.period as number,
    genesis_time: raw.genesis_time as number,
    hash: raw.hash,
    groupHash: raw.groupHash,
    schemeID: raw.schemeID,
    metadata: { beaconID: beaconID ?? 'default' },
  };
}

/** Reads one round as drand serves it. */
export function parseRound(raw: unknown, what = 'beacon round'): DrandRound {
  if (!isObject(raw)) throw new MalformedInputError(`${what} is not a JSON object`);
  if (!Number.isSafeInteger(raw.round) || (raw.round as number) < 1)
    throw new MalformedInputError(`${what}: "round" must be a positive whole number`);
  if (!isHex(raw.signature) || raw.signature.length === 0)
    throw new MalformedInputError(`${what}: "signature" must be lowercase hex`);
  if (!isHex(raw.randomness, 32))
    throw new MalformedInputError(`${what}: "randomness" must be 32 bytes of hex`);
  if (raw.previous_signature !== undefined && !isHex(raw.previous_signature))
    throw new MalformedInputError(`${what}: "previous_signature" must be lowercase hex`);
  return {
    round: raw.round as number,
    randomness: raw.randomness,
    signature: raw.signature,
    ...(raw.previous_signature !== undefined ? { previous_signature: raw.previous_signature } : {}),
  };
}

/**
 * drand's chain hash: SHA-256(period as u32 BE ‖ genesis_time as i64 BE ‖ public key bytes ‖
 * groupHash bytes ‖ utf8(beaconID) unless the beaconID is "" or "default").
 */
export function chainHash(info: Omit<DrandChainInfo, 'hash'>): string {
  const id = info.metadata.beaconID;
  return bytesToHex(
    sha256(
      concatBytes(
        u32be(info.period),
        u64be(info.genesis_time),
        hexToBytes(info.public_key, 'public_key'),
        hexToBytes(info.groupHash, 'groupHash'),
        id === '' || id === 'default' ? new Uint8Array(0) : utf8(id),
      ),
    ),
  );
}

/** Same chain: every field that defines it is equal. */
export const sameChain = (a: DrandChainInfo, b: DrandChainInfo): boolean =>
  a.hash === b.hash &&
  a.public_key === b.public_key &&
  a.period === b.period &&
  a.genesis_time === b.genesis_time &&
  a.groupHash === b.groupHash &&
  a.schemeID === b.schemeID &&
  a.metadata.beaconID === b.metadata.beaconID;

/** When round `round` is due: genesis + (round − 1) × period, in milliseconds. */
export const roundTimeMs = (info: Pick<DrandChainInfo, 'period' | 'genesis_time'>, round: number): number =>
  (info.genesis_time + (round - 1) * info.period) * 1000;

/** The latest round due at `atMs` (0 before genesis). */
export function roundAt(info: Pick<DrandChainInfo, 'period' | 'genesis_time'>, atMs: number): number {
  const elapsed = atMs - info.genesis_time * 1000;
  return elapsed < 0 ? 0 : Math.floor(elapsed / (info.period * 1000)) + 1;
}

/**
 * The first round due at or after `atMs`: the smallest r ≥ 1 with genesis + (r − 1) × period ≥ atMs
 * (all in milliseconds). Its value did not exist before that instant.
 */
export function firstRoundAtOrAfter(
  info: Pick<DrandChainInfo, 'period' | 'genesis_time'>,
  atMs: number,
): number {
  const elapsed = atMs - info.genesis_time * 1000;
  if (elapsed <= 0) return 1;
  return Math.ceil(elapsed / (info.period * 1000)) + 1;
}

/** The message a round's signature signs: SHA-256(previous_signature ‖ round u64 BE) chained, SHA-256(round u64 BE) unchained. */
export function roundMessage(
  scheme: DrandSchemeId,
  round: number,
  previousSignatureHex?: string,
): Uint8Array {
  if (!DRAND_SCHEMES[scheme].chained) return sha256(u64be(round));
  if (previousSignatureHex === undefined)
    throw new MalformedInputError('a chained round needs its previous_signature');
  return sha256(hexToBytes(previousSignatureHex, 'previous_signature'), u64be(round));
}

/** drand's randomness of a round: hex(SHA-256(signature bytes)). */
export const randomnessOf = (signatureHex: string): string =>
  bytesToHex(sha256(hexToBytes(signatureHex, 'signature')));

/** Verifies a round's BLS signature against the chain's public key. */
export function verifyRoundSignature(
  info: DrandChainInfo,
  round: DrandRound,
): { ok: boolean; reason?: string } {
  if (!isSupportedScheme(info.schemeID))
    return { ok: false, reason: `scheme "${info.schemeID}" is not one we can verify` };
  const scheme = DRAND_SCHEMES[info.schemeID];
  try {
    const message = roundMessage(info.schemeID, round.round, round.previous_signature);
    const signature = hexToBytes(round.signature, 'signature');
    const publicKey = hexToBytes(info.public_key, 'public_key');
    const ok =
      scheme.signatureOn === 'G1'
        ? bls12_381.shortSignatures.verify(
            signature,
            bls12_381.shortSignatures.hash(message, scheme.dst),
            publicKey,
          )
        : bls12_381.longSignatures.verify(
            signature,
            bls12_381.longSignatures.hash(message, scheme.dst),
            publicKey,
          );
    return ok ? { ok } : { ok, reason: 'the signature does not verify under the chain public key' };
  } catch (e) {
    // Bytes that are not a point of the right group cannot be a signature (or a key).
    return { ok: false, reason: `not a valid BLS12-381 signature or key (${(e as Error).message})` };
  }
}

/**
 * A drand-compatible chain of our own with signatures on G1 (quicknet's scheme): what the
 * local beacon stand-in and tests sign with. Real drand chains are threshold-signed by the
 * League of Entropy; this one has a single key.
 */
export function ownDrandChain(opts: {
  secretKey: Uint8Array;
  period: number;
  genesisTime: number;
  beaconID: string;
}): { info: DrandChainInfo; sign(round: number): DrandRound } {
  const sigs = bls12_381.shortSignatures;
  const partial = {
    public_key: bytesToHex(sigs.getPublicKey(opts.secretKey).toBytes()),
    period: opts.period,
    genesis_time: opts.genesisTime,
    // drand's groupHash is the hash of the group file; a single-key chain hashes its key.
    groupHash: bytesToHex(
      sha256(utf8('ticketslave-standin-group'), sigs.getPublicKey(opts.secretKey).toBytes()),
    ),
    schemeID: 'bls-unchained-g1-rfc9380',
    metadata: { beaconID: opts.beaconID },
  };
  const info: DrandChainInfo = { ...partial, hash: chainHash(partial) };
  const dst = DRAND_SCHEMES['bls-unchained-g1-rfc9380'].dst;
  return {
    info,
    sign: (round) => {
      const signature = bytesToHex(
        sigs.sign(sigs.hash(roundMessage('bls-unchained-g1-rfc9380', round), dst), opts.secretKey).toBytes(),
      );
      return { round, randomness: randomnessOf(signature), signature };
    },
  };
}

/** A fresh BLS12-381 secret key (32 bytes). */
export const newDrandSecretKey = (): Uint8Array => bls12_381.shortSignatures.keygen().secretKey;

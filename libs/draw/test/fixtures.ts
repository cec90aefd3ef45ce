import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  DRAW_V2,
  RECEIPT,
  entrantHash,
  firstRoundAtOrAfter,
  newDrandSecretKey,
  ownDrandChain,
  runDraw,
  type DrandChainInfo,
  type FairnessDocumentV2,
  type PublicJwk,
  type ReceiptDrawClaims,
} from '../src';

/** An Ed25519 key like the buffer's, signing receipts as TokenSigner does. */
export function receiptSigner(kid = 'buffer-test') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = { ...(publicKey.export({ format: 'jwk' }) as PublicJwk), kid, alg: 'EdDSA', use: 'sig' };
  return {
    jwk,
    sign: (claims: ReceiptDrawClaims & { sub: string }, overrides: Record<string, unknown> = {}) =>
      signJws(privateKey, kid, {
        ...claims,
        iss: RECEIPT.issuer,
        aud: RECEIPT.audience,
        iat: 1,
        exp: 2e9,
        ...overrides,
      }),
  };
}

function signJws(key: KeyObject, kid: string, payload: object): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc({ alg: 'EdDSA', kid, typ: 'JWT' })}.${enc(payload)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

export interface Fixture {
  doc: FairnessDocumentV2;
  chain: ReturnType<typeof ownDrandChain>;
  chainInfo: DrandChainInfo;
  signer: ReturnType<typeof receiptSigner>;
  /** userId → the receipt file "Save my receipt" would write. */
  receiptFiles: Map<string, string>;
  /** userId → the queue number the draw gives. */
  numbers: Map<string, number>;
  users: string[];
  closedAtMs: number;
  receiptFor(user: string, claims?: Partial<ReceiptDrawClaims>, withKeys?: boolean): string;
}

/** A whole honest draw-v2 sale: chain, receipts, the draw and its fairness document. */
export async function makeFixture(opts: { users?: string[]; eventId?: string } = {}): Promise<Fixture> {
  const users = opts.users ?? ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];
  const eventId = opts.eventId ?? '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';
  const period = 3;
  const genesisTime = 1_700_000_000;
  const chain = ownDrandChain({ secretKey: newDrandSecretKey(), period, genesisTime, beaconID: 'test' });
  const signer = receiptSigner();
  const seed = randomBytes(32).toString('hex');
  const salt = randomBytes(32).toString('hex');
  const closedAtMs = (genesisTime + 1000) * 1000 + 1234;
  const round = chain.sign(firstRoundAtOrAfter(chain.info, closedAtMs));
  const hashes = users.map((u) => entrantHash(salt, u));
  const drawn = await runDraw({ version: DRAW_V2, seed, beacon: round.randomness, entrantHashes: hashes });
  const doc: FairnessDocumentV2 = {
    version: DRAW_V2,
    eventId,
    commitment: drawn.commitment,
    seed,
    salt,
    closedAt: new Date(closedAtMs).toISOString(),
    beacon: { chain: chain.info, ...round },
    receiptKeys: {
      issuer: RECEIPT.issuer,
      jwksUrl: 'http://127.0.0.1:8082/buffer/.well-known/jwks.json',
      keys: [signer.jwk],
    },
    entrantsDigest: drawn.entrantsDigest,
    total: drawn.sortedHashes.length,
    entrantHashes: drawn.sortedHashes,
  };
  const receiptFor = (user: string, claims: Partial<ReceiptDrawClaims> = {}, withKeys = true) =>
    JSON.stringify({
      kind: 'ticketslave-join-receipt',
      eventId,
      receipt: signer.sign({
        sub: user,
        evt: eventId,
        eh: entrantHash(salt, user),
        jat: closedAtMs - 60_000,
        cmt: drawn.commitment,
        dv: DRAW_V2,
        late: false,
        ...claims,
      }),
      ...(withKeys ? { jwks: { keys: [signer.jwk] } } : {}),
    });
  const numbers = new Map(users.map((u) => [u, drawn.order.indexOf(entrantHash(salt, u)) + 1]));
  return {
    doc,
    chain,
    chainInfo: chain.info,
    signer,
    receiptFiles: new Map(users.map((u) => [u, receiptFor(u)])),
    numbers,
    users,
    closedAtMs,
    receiptFor,
  };
}

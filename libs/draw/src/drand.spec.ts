import { DRAND_DEFAULT, DRAND_MAINNET, DRAND_QUICKNET } from './chains';
import {
  chainHash,
  firstRoundAtOrAfter,
  newDrandSecretKey,
  ownDrandChain,
  parseChainInfo,
  randomnessOf,
  roundAt,
  roundTimeMs,
  verifyRoundSignature,
  type DrandChainInfo,
} from './drand';

/**
 * Rounds signed by drand itself (the vectors drand's JS client tests against, from
 * drand's Go code base), so the verification is pinned to drand's definition, not to
 * our own stand-in's.
 */
const WALKTHROUGH_G1_RFC9380: DrandChainInfo = {
  public_key:
    '81d320f220ee9c79e60e19dedc838c31e3ab919b15481e9feb52f643628c4f6a13fdc52129493875a818109d767272ca0541cbcdcea9335f2870d781b39b845ba8cbd44fdfe4967781cf72ca5917fc9398bcf97ca0548ed5a709016c4b1ff0f3',
  period: 3,
  genesis_time: 1687506816,
  hash: 'af8b6fc95693b058a3a59efe586eb31c2c352fe00cf40c62a427d87c34f7a235',
  groupHash: '02d678e93908888871b70e3f015b396a8c082bc1493ae5479f8743cb5d972b54',
  schemeID: 'bls-unchained-g1-rfc9380',
  metadata: { beaconID: 'walkthrough' },
};
const WALKTHROUGH_ROUND_38 = {
  round: 38,
  randomness: 'b2fc21325a24904a6a9e81a6c63f65f6cec3f0b2400df3f4a56b214770e9ccca',
  signature:
    '95c93585c513ebbcb4777ff15599b3140e5ec0295faa0e483f3deadd88fa6d43f0d3703e3a4ce106e8fd6c6987f32126',
};
/** Round 1 of drand's default mainnet chain (chained: it signs the genesis seed). */
const DEFAULT_ROUND_1 = {
  round: 1,
  randomness: '101297f1ca7dc44ef6088d94ad5fb7ba03455dc33d53ddb412bbc4564ed986ec',
  signature:
    '8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20ff7bc3e09d7c046566c9f7f3c6f3b10104990e7cb424998203d8f7de586fb7fa5f60045417a432684f85093b06ca91c769f0e7ca19268375e659c2a2352b4655',
  previous_signature: '176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a',
};

describe('drand', () => {
  it('recomputes the chain hash of each shipped mainnet chain from its fields', () => {
    expect(chainHash(DRAND_QUICKNET)).toBe(
      '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971',
    );
    expect(chainHash(DRAND_DEFAULT)).toBe('8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce');
    for (const { info } of DRAND_MAINNET) expect(chainHash(info)).toBe(info.hash);
    expect(chainHash(WALKTHROUGH_G1_RFC9380)).toBe(WALKTHROUGH_G1_RFC9380.hash);
  });

  it("verifies a round of drand's own bls-unchained-g1-rfc9380 chain (quicknet's scheme)", () => {
    expect(verifyRoundSignature(WALKTHROUGH_G1_RFC9380, WALKTHROUGH_ROUND_38)).toEqual({ ok: true });
    expect(randomnessOf(WALKTHROUGH_ROUND_38.signature)).toBe(WALKTHROUGH_ROUND_38.randomness);
  });

  it('rejects that signature for another round', () => {
    const v = verifyRoundSignature(WALKTHROUGH_G1_RFC9380, { ...WALKTHROUGH_ROUND_38, round: 39 });
    expect(v.ok).toBe(false);
  });

  it("verifies round 1 of drand's chained default chain, and rejects it with another previous signature", () => {
    expect(verifyRoundSignature(DRAND_DEFAULT, DEFAULT_ROUND_1)).toEqual({ ok: true });
    expect(randomnessOf(DEFAULT_ROUND_1.signature)).toBe(DEFAULT_ROUND_1.randomness);
    expect(
      verifyRoundSignature(DRAND_DEFAULT, { ...DEFAULT_ROUND_1, previous_signature: 'ab'.repeat(32) }).ok,
    ).toBe(false);
  });

  it('rejects a signature that is not a curve point, and a scheme it does not know', () => {
    const notAPoint = verifyRoundSignature(WALKTHROUGH_G1_RFC9380, {
      ...WALKTHROUGH_ROUND_38,
      signature: 'ab'.repeat(48),
    });
    expect(notAPoint.ok).toBe(false);
    expect(notAPoint.reason).toMatch(/not a valid BLS12-381/);
    expect(
      verifyRoundSignature(
        { ...WALKTHROUGH_G1_RFC9380, schemeID: 'bls-bn254-unchained-on-g1' },
        WALKTHROUGH_ROUND_38,
      ),
    ).toEqual({ ok: false, reason: 'scheme "bls-bn254-unchained-on-g1" is not one we can verify' });
  });

  it('computes round times as drand does: round 1 at genesis, one period apart', () => {
    const info = { genesis_time: 1000, period: 3 };
    expect(roundTimeMs(info, 1)).toBe(1_000_000);
    expect(roundTimeMs(info, 4)).toBe(1_009_000);
    expect(roundAt(info, 999_999)).toBe(0);
    expect(roundAt(info, 1_000_000)).toBe(1);
    expect(roundAt(info, 1_002_999)).toBe(1);
    expect(roundAt(info, 1_003_000)).toBe(2);
    // the first round due at or after a moment
    expect(firstRoundAtOrAfter(info, 0)).toBe(1);
    expect(firstRoundAtOrAfter(info, 1_000_000)).toBe(1);
    expect(firstRoundAtOrAfter(info, 1_000_001)).toBe(2);
    expect(firstRoundAtOrAfter(info, 1_003_000)).toBe(2);
    expect(firstRoundAtOrAfter(info, 1_003_001)).toBe(3);
    expect(firstRoundAtOrAfter(DRAND_QUICKNET, Date.UTC(2026, 0, 1))).toBe(
      Math.ceil((Date.UTC(2026, 0, 1) / 1000 - 1692803367) / 3) + 1,
    );
  });

  it('signs rounds of a chain of its own that the verifier accepts, and only under its own key', () => {
    const chain = ownDrandChain({
      secretKey: newDrandSecretKey(),
      period: 3,
      genesisTime: 1_700_000_000,
      beaconID: 'x',
    });
    const other = ownDrandChain({
      secretKey: newDrandSecretKey(),
      period: 3,
      genesisTime: 1_700_000_000,
      beaconID: 'x',
    });
    expect(chain.info.hash).toBe(chainHash(chain.info));
    expect(parseChainInfo(JSON.parse(JSON.stringify(chain.info)))).toEqual(chain.info);
    const round = chain.sign(42);
    expect(round.randomness).toBe(randomnessOf(round.signature));
    expect(verifyRoundSignature(chain.info, round)).toEqual({ ok: true });
    expect(verifyRoundSignature(chain.info, other.sign(42)).ok).toBe(false);
    expect(verifyRoundSignature(chain.info, { ...chain.sign(43), round: 42 }).ok).toBe(false);
  });
});

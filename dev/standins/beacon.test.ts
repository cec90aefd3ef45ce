import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  chainHash,
  parseChainInfo,
  parseRound,
  randomnessOf,
  verifyRoundSignature,
  type DrandRound,
} from '@ticketslave/draw';
import { randomBeaconSecretKey, startBeacon } from './beacon';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('randomness beacon stand-in (a drand-compatible chain)', () => {
  const genesisTime = 1_700_000_000;
  let clockMs = (genesisTime + 3 * 100 + 1) * 1000; // 1 s into round 101

  it('publishes chain info in drand shape whose hash is drand’s chain hash of its fields', async () => {
    const beacon = await startBeacon({ port: 0, period: 3, genesisTime, now: () => clockMs });
    try {
      const { status, body } = await get(`${beacon.url}/info`);
      expect(status).toBe(200);
      const info = parseChainInfo(body);
      expect(info).toMatchObject({
        period: 3,
        genesis_time: genesisTime,
        schemeID: 'bls-unchained-g1-rfc9380',
      });
      expect(info.public_key).toMatch(/^[0-9a-f]{192}$/); // a compressed G2 point
      expect(chainHash(info)).toBe(info.hash);
      expect((await get(`${beacon.url}/${info.hash}/info`)).body).toEqual(body);
      expect((await get(`${beacon.url}/chains`)).body).toEqual([info.hash]);
    } finally {
      await beacon.stop();
    }
  });

  it('serves rounds whose BLS signatures verify against its public key, latest moving with the clock', async () => {
    clockMs = (genesisTime + 3 * 100 + 1) * 1000;
    const beacon = await startBeacon({ port: 0, period: 3, genesisTime, now: () => clockMs });
    try {
      const first = parseRound((await get(`${beacon.url}/public/latest`)).body);
      expect(first.round).toBe(101);
      expect(verifyRoundSignature(beacon.info, first)).toEqual({ ok: true });
      expect(first.randomness).toBe(randomnessOf(first.signature));
      clockMs += 3000;
      const second = parseRound((await get(`${beacon.url}/public/latest`)).body);
      expect(second.round).toBe(102);
      expect(second.randomness).not.toBe(first.randomness);
      expect(verifyRoundSignature(beacon.info, second)).toEqual({ ok: true });
      expect(verifyRoundSignature(beacon.info, await roundOf(beacon.url, 55))).toEqual({ ok: true });
    } finally {
      await beacon.stop();
    }
  });

  it('makes its key at first start and keeps it: the same chain and rounds after a restart', async () => {
    const keyFile = path.join(mkdtempSync(path.join(tmpdir(), 'beacon-')), 'beacon', 'key.json');
    const a = await startBeacon({ port: 0, period: 3, genesisTime, keyFile, now: () => clockMs });
    const fromA = await roundOf(a.url, 42);
    await a.stop();
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toMatchObject({ secretKey: a.secretKey });
    const b = await startBeacon({ port: 0, period: 3, genesisTime, keyFile, now: () => clockMs });
    const fromB = await roundOf(b.url, 42);
    await b.stop();
    expect(b.info).toEqual(a.info);
    expect(fromB).toEqual(fromA);

    const other = await startBeacon({
      port: 0,
      period: 3,
      genesisTime,
      secretKey: randomBeaconSecretKey(),
      now: () => clockMs,
    });
    const fromOther = await roundOf(other.url, 42);
    await other.stop();
    expect(other.info.hash).not.toBe(a.info.hash);
    // Another key's round does not verify under this chain.
    expect(verifyRoundSignature(a.info, fromOther).ok).toBe(false);
  });

  it('refuses rounds that have not happened yet', async () => {
    clockMs = (genesisTime + 3 * 100 + 1) * 1000;
    const beacon = await startBeacon({ port: 0, period: 3, genesisTime, now: () => clockMs });
    try {
      expect((await get(`${beacon.url}/public/101`)).status).toBe(200);
      const future = await get(`${beacon.url}/public/102`);
      expect(future.status).toBe(404);
      expect(future.body.title).toBe('Requested future beacon');
    } finally {
      await beacon.stop();
    }
  });

  it('follows the real clock by default', async () => {
    const genesis = Math.floor(Date.now() / 1000) - 10;
    const beacon = await startBeacon({ port: 0, period: 2, genesisTime: genesis });
    try {
      const { body } = await get(`${beacon.url}/public/latest`);
      const expected = Math.floor((Math.floor(Date.now() / 1000) - genesis) / 2) + 1;
      expect([expected - 1, expected]).toContain(body.round);
    } finally {
      await beacon.stop();
    }
  });
});

async function roundOf(url: string, round: number): Promise<DrandRound> {
  return parseRound((await get(`${url}/public/${round}`)).body);
}

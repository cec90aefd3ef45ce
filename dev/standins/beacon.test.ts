import { createHash, createHmac } from 'node:crypto';
import { startBeacon } from './beacon';

interface Round {
  round: number;
  randomness: string;
  signature: string;
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('randomness beacon stand-in (drand HTTP API)', () => {
  const genesisTime = 1_700_000_000;
  let clockMs = (genesisTime + 3 * 100 + 1) * 1000; // 1 s into round 101

  it('publishes chain info in drand shape', async () => {
    const beacon = await startBeacon({ port: 0, period: 3, genesisTime, now: () => clockMs });
    try {
      const { status, body } = await get(`${beacon.url}/info`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ period: 3, genesis_time: genesisTime });
      expect(body.public_key).toMatch(/^[0-9a-f]{64}$/);
      expect(body.hash).toMatch(/^[0-9a-f]{64}$/);
      expect((await get(`${beacon.url}/${body.hash as string}/info`)).body).toEqual(body);
    } finally {
      await beacon.stop();
    }
  });

  it('serves the current round as latest and moves on with the clock', async () => {
    clockMs = (genesisTime + 3 * 100 + 1) * 1000;
    const beacon = await startBeacon({ port: 0, period: 3, genesisTime, now: () => clockMs });
    try {
      const first = (await get(`${beacon.url}/public/latest`)).body as unknown as Round;
      expect(first.round).toBe(101);
      clockMs += 3000;
      const second = (await get(`${beacon.url}/public/latest`)).body as unknown as Round;
      expect(second.round).toBe(102);
      expect(second.randomness).not.toBe(first.randomness);
    } finally {
      await beacon.stop();
    }
  });

  it('derives randomness as SHA-256 of the HMAC signature, the same after a restart', async () => {
    clockMs = (genesisTime + 3 * 100 + 1) * 1000;
    const secret = 'test-secret';
    const a = await startBeacon({ port: 0, period: 3, genesisTime, secret, now: () => clockMs });
    const fromA = (await get(`${a.url}/public/42`)).body as unknown as Round;
    await a.stop();
    const b = await startBeacon({ port: 0, period: 3, genesisTime, secret, now: () => clockMs });
    const fromB = (await get(`${b.url}/public/42`)).body as unknown as Round;
    await b.stop();

    const signature = createHmac('sha256', secret).update('42').digest();
    expect(fromA).toEqual({
      round: 42,
      signature: signature.toString('hex'),
      randomness: createHash('sha256').update(signature).digest('hex'),
    });
    expect(fromB).toEqual(fromA);

    const other = await startBeacon({ port: 0, period: 3, genesisTime, secret: 'other', now: () => clockMs });
    const fromOther = (await get(`${other.url}/public/42`)).body as unknown as Round;
    await other.stop();
    expect(fromOther.randomness).not.toBe(fromA.randomness);
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

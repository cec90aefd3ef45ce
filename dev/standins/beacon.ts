import { createHash, createHmac } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { close, listen, sendJson, sendProblem, urlHost, type StandIn } from './http-util';

/**
 * A randomness beacon speaking drand's HTTP API (unchained scheme, like drand's quicknet).
 *
 * It is a stand-in: `signature` is HMAC-SHA256(secret, round), not a BLS signature, and
 * `public_key` cannot verify it. What it keeps from drand is what the draw relies on: the
 * value for a round is fixed, unknown before the round's time to anyone without the secret,
 * and `randomness = SHA-256(signature bytes)`, exactly as drand derives it.
 */
export interface BeaconStandInOptions {
  port: number;
  host?: string;
  /** Seconds between rounds (drand quicknet: 3). */
  period?: number;
  /** Unix seconds of round 1. */
  genesisTime?: number;
  /** Same secret → same values per round across restarts. */
  secret?: string;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export interface BeaconInfo {
  public_key: string;
  period: number;
  genesis_time: number;
  hash: string;
  groupHash: string;
  schemeID: string;
  metadata: { beaconID: string };
}

export interface BeaconRound {
  round: number;
  randomness: string;
  signature: string;
}

export const DEV_BEACON_SECRET = 'ticketslave-dev-beacon';
// drand quicknet's genesis, so round numbers look like production ones.
const QUICKNET_GENESIS = 1692803367;

export function beaconRoundAt(info: Pick<BeaconInfo, 'period' | 'genesis_time'>, atMs: number): number {
  const elapsed = Math.floor(atMs / 1000) - info.genesis_time;
  return elapsed < 0 ? 0 : Math.floor(elapsed / info.period) + 1;
}

export function beaconValue(secret: string, round: number): BeaconRound {
  const signature = createHmac('sha256', secret).update(String(round)).digest();
  return {
    round,
    randomness: createHash('sha256').update(signature).digest('hex'),
    signature: signature.toString('hex'),
  };
}

export async function startBeacon(opts: BeaconStandInOptions): Promise<StandIn & { info: BeaconInfo }> {
  const host = opts.host ?? '127.0.0.1';
  const period = opts.period ?? 3;
  const genesis = opts.genesisTime ?? QUICKNET_GENESIS;
  const secret = opts.secret ?? DEV_BEACON_SECRET;
  const now = opts.now ?? Date.now;
  const publicKey = createHash('sha256').update(`public-key:${secret}`).digest('hex');
  const info: BeaconInfo = {
    public_key: publicKey,
    period,
    genesis_time: genesis,
    hash: createHash('sha256').update(`${publicKey}:${period}:${genesis}`).digest('hex'),
    groupHash: createHash('sha256').update(`group:${publicKey}`).digest('hex'),
    schemeID: 'ticketslave-hmac-sha256-standin',
    metadata: { beaconID: 'ticketslave-dev' },
  };

  const serveRound = (res: ServerResponse, round: number): void => {
    const current = beaconRoundAt(info, now());
    if (current < 1) return sendProblem(res, 404, 'Beacon has not started', `genesis at ${genesis}`);
    if (round > current) {
      // drand refuses future rounds: their value must not exist before their time.
      return sendProblem(res, 404, 'Requested future beacon', `round ${round} > current ${current}`);
    }
    const latest = round === 0;
    const value = beaconValue(secret, latest ? current : round);
    const nextAtMs = (genesis + current * period) * 1000;
    const maxAge = latest ? Math.max(0, Math.ceil((nextAtMs - now()) / 1000)) : 31536000;
    sendJson(res, 200, value, { 'cache-control': `public, max-age=${maxAge}${latest ? '' : ', immutable'}` });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://beacon');
    if (req.method !== 'GET') return sendProblem(res, 405, 'Method not allowed');
    // drand serves each chain both at the root and under /<chain hash>/.
    const path = url.pathname.startsWith(`/${info.hash}/`)
      ? url.pathname.slice(info.hash.length + 1)
      : url.pathname;
    if (path === '/info') return sendJson(res, 200, info, { 'cache-control': 'public, max-age=3600' });
    if (path === '/chains') return sendJson(res, 200, [info.hash]);
    if (path === '/public/latest') return serveRound(res, 0);
    const m = /^\/public\/(\d{1,15})$/.exec(path);
    if (m) return serveRound(res, Number(m[1]));
    return sendProblem(res, 404, 'Not found', path);
  });
  const port = await listen(server, opts.port, host);
  return { url: `http://${urlHost(host)}:${port}`, port, info, stop: () => close(server) };
}

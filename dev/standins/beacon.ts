import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import path from 'node:path';
import {
  bytesToHex,
  hexToBytes,
  newDrandSecretKey,
  ownDrandChain,
  roundAt,
  roundTimeMs,
  type DrandChainInfo,
  type DrandRound,
} from '@ticketslave/draw';
import { close, listen, sendJson, sendProblem, urlHost, type StandIn } from './http-util';

/**
 * A drand-compatible randomness beacon: a chain of its own with drand quicknet's scheme
 * (`bls-unchained-g1-rfc9380`: BLS12-381 signatures on G1 over SHA-256(round as u64 BE),
 * randomness = SHA-256(signature)), served with drand's HTTP API. Its chain info and every
 * round verify with @ticketslave/draw exactly as drand's own do; only the key differs (one
 * key, made at first start and kept in `keyFile`, instead of the League of Entropy's
 * threshold key), so verifiers must be told to trust it (`verify-draw --chain-info`).
 */
export interface BeaconStandInOptions {
  port: number;
  host?: string;
  /** Seconds between rounds (drand quicknet: 3). */
  period?: number;
  /** Unix seconds of round 1. */
  genesisTime?: number;
  /** Where the chain's secret key is kept: read when present, made and written when not. */
  keyFile?: string;
  /** The secret key itself (hex), e.g. to restart a test's chain, or to sign wrongly with another key. */
  secretKey?: string;
  /** Clock in ms, for tests. */
  now?: () => number;
}

export type { DrandChainInfo as BeaconInfo, DrandRound as BeaconRound };

// drand quicknet's genesis, so round numbers look like production ones.
const QUICKNET_GENESIS = 1692803367;
/** Signed rounds kept in memory (a signature costs a few ms of CPU). */
const SIGNED_CACHE = 1024;

/** The secret key in `keyFile`, made and kept on first use. */
export function beaconSecretKey(keyFile: string): string {
  try {
    const key = (JSON.parse(readFileSync(keyFile, 'utf8')) as { secretKey?: unknown }).secretKey;
    if (typeof key === 'string' && /^[0-9a-f]{64}$/.test(key)) return key;
    throw new Error(`${keyFile} holds no beacon secret key`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secretKey = bytesToHex(newDrandSecretKey());
  mkdirSync(path.dirname(keyFile), { recursive: true });
  writeFileSync(keyFile, `${JSON.stringify({ secretKey, scheme: 'bls-unchained-g1-rfc9380' })}\n`, {
    mode: 0o600,
  });
  return secretKey;
}

export async function startBeacon(
  opts: BeaconStandInOptions,
): Promise<StandIn & { info: DrandChainInfo; secretKey: string }> {
  const host = opts.host ?? '127.0.0.1';
  const now = opts.now ?? Date.now;
  const secretKey =
    opts.secretKey ?? (opts.keyFile ? beaconSecretKey(opts.keyFile) : bytesToHex(newDrandSecretKey()));
  const chain = ownDrandChain({
    secretKey: hexToBytes(secretKey, 'beacon secret key'),
    period: opts.period ?? 3,
    genesisTime: opts.genesisTime ?? QUICKNET_GENESIS,
    beaconID: 'ticketslave-dev',
  });
  const { info } = chain;
  const signed = new Map<number, DrandRound>();
  const signRound = (round: number): DrandRound => {
    let value = signed.get(round);
    if (!value) {
      value = chain.sign(round);
      signed.set(round, value);
      if (signed.size > SIGNED_CACHE) signed.delete(signed.keys().next().value!);
    }
    return value;
  };

  const serveRound = (res: ServerResponse, requested: number | 'latest'): void => {
    const current = roundAt(info, now());
    if (current < 1)
      return sendProblem(res, 404, 'Beacon has not started', `genesis at ${info.genesis_time}`);
    const round = requested === 'latest' ? current : requested;
    // drand refuses rounds whose time has not come: their value must not exist before then.
    if (round > current || round < 1)
      return sendProblem(res, 404, 'Requested future beacon', `round ${round}, current ${current}`);
    const maxAge =
      requested === 'latest'
        ? Math.max(0, Math.ceil((roundTimeMs(info, current + 1) - now()) / 1000))
        : 31536000;
    sendJson(res, 200, signRound(round), {
      'cache-control': `public, max-age=${maxAge}${requested === 'latest' ? '' : ', immutable'}`,
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://beacon');
    if (req.method !== 'GET') return sendProblem(res, 405, 'Method not allowed');
    // drand serves each chain both at the root and under /<chain hash>/.
    const p = url.pathname.startsWith(`/${info.hash}/`)
      ? url.pathname.slice(info.hash.length + 1)
      : url.pathname;
    if (p === '/info') return sendJson(res, 200, info, { 'cache-control': 'public, max-age=3600' });
    if (p === '/chains') return sendJson(res, 200, [info.hash]);
    if (p === '/public/latest') return serveRound(res, 'latest');
    const m = /^\/public\/(\d{1,15})$/.exec(p);
    if (m) return serveRound(res, Number(m[1]));
    return sendProblem(res, 404, 'Not found', p);
  });
  const port = await listen(server, opts.port, host);
  return { url: `http://${urlHost(host)}:${port}`, port, info, secretKey, stop: () => close(server) };
}

/** A throwaway secret key (hex), e.g. for a stand-in that must sign with the wrong key. */
export const randomBeaconSecretKey = (): string => bytesToHex(newDrandSecretKey());

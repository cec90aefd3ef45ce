import {
  beaconRoundChecks,
  chainHash,
  firstRoundAtOrAfter,
  MalformedInputError,
  parseChainInfo,
  parseRound,
  roundTimeMs,
  type DrandChainInfo,
} from '@ticketslave/draw';
import type { Logger } from '@ticketslave/common';
import type { Beacon, BeaconRound } from '../domain/ports';

export interface DrandBeaconOptions {
  /** The chain the beacon must serve (its hash); unset: the chain first seen is kept for the process. */
  chainHash?: string;
  /** How long one `roundFor` keeps waiting and retrying before it gives up (the closer retries later). */
  timeoutMs?: number;
  /** Pause between attempts while the beacon is unreachable or the round is not out yet. */
  retryMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  logger?: Pick<Logger, 'warn'>;
}

/** A beacon answer the buffer refuses: never drawn on, whatever happens next. */
export class BeaconRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BeaconRefusedError';
  }
}

/** Waits `ms`, or rejects as soon as `signal` aborts (the service is stopping). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error('the buffer is stopping'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('the buffer is stopping'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The buffer's drand client. The randomness of a close is drand's round that is the first at
 * or after the close (`firstRoundAtOrAfter` of the chain's genesis and period): it did not
 * exist while entrants could still be added, and no one can pick another, because the round
 * number follows from the close time and the value from the chain's BLS key. Every round is
 * checked with `beaconRoundChecks` of @ticketslave/draw, the code `npm run verify-draw` and
 * the "Check the draw" page run, so a beacon that signs wrongly (or a man in the middle)
 * stops the close instead of steering it.
 */
export class DrandBeacon implements Beacon {
  private chain?: DrandChainInfo;
  private readonly baseUrl: string;
  private readonly stopping = new AbortController();

  constructor(
    baseUrl: string,
    private readonly opts: DrandBeaconOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  /** Ends every wait at once (a close in progress then fails, to be retried by the next instance or start). */
  stop(): void {
    this.stopping.abort();
  }

  async roundFor(closedAt: Date): Promise<BeaconRound> {
    const now = this.opts.now ?? Date.now;
    const deadline = now() + (this.opts.timeoutMs ?? 60_000);
    const retryMs = this.opts.retryMs ?? 500;
    const chain = await this.retrying(deadline, retryMs, () => this.chainInfo());
    const round = firstRoundAtOrAfter(chain, closedAt.getTime());
    // drand answers 404 before a round's time; no point asking earlier.
    const dueIn = roundTimeMs(chain, round) - now();
    if (dueIn > 0) {
      if (now() + dueIn > deadline)
        throw new Error(`beacon round ${round} is due after this attempt's deadline; will retry`);
      await sleep(dueIn, this.stopping.signal);
    }
    const raw = await this.retrying(deadline, retryMs, () => this.get(`/public/${round}`));
    let parsed;
    try {
      parsed = parseRound(raw, `beacon round ${round}`);
    } catch (e) {
      throw new BeaconRefusedError((e as Error).message);
    }
    if (parsed.round !== round)
      throw new BeaconRefusedError(`asked the beacon for round ${round}, it answered round ${parsed.round}`);
    const failed = beaconRoundChecks(chain, parsed, closedAt.getTime()).filter((c) => c.status !== 'pass');
    if (failed.length)
      throw new BeaconRefusedError(
        `beacon round ${round} refused: ${failed.map((c) => `${c.id} (${c.detail})`).join('; ')}`,
      );
    return { chain, ...parsed };
  }

  /** The chain info, fetched once and then pinned: a beacon that changes its key is not followed. */
  private async chainInfo(): Promise<DrandChainInfo> {
    if (this.chain) return this.chain;
    let info: DrandChainInfo;
    try {
      info = parseChainInfo(await this.get('/info'), 'beacon chain info');
    } catch (e) {
      if (e instanceof MalformedInputError) throw new BeaconRefusedError(e.message);
      throw e;
    }
    const recomputed = chainHash(info);
    if (recomputed !== info.hash)
      throw new BeaconRefusedError(
        `the beacon's chain info hashes to ${recomputed}, not to its hash ${info.hash}`,
      );
    if (this.opts.chainHash && info.hash !== this.opts.chainHash)
      throw new BeaconRefusedError(
        `the beacon serves chain ${info.hash}, not the configured ${this.opts.chainHash}`,
      );
    this.chain = info;
    return info;
  }

  /** Retries what fails for want of an answer (down, 404 before the round, 5xx) until the deadline. */
  private async retrying<T>(deadline: number, retryMs: number, fn: () => Promise<T>): Promise<T> {
    const now = this.opts.now ?? Date.now;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof BeaconRefusedError || this.stopping.signal.aborted) throw err;
        if (now() + retryMs > deadline) throw err;
        if (attempt === 1 || attempt % 20 === 0)
          this.opts.logger?.warn({ err, attempt }, 'beacon unreachable; waiting and retrying');
        await sleep(retryMs, this.stopping.signal);
      }
    }
  }

  private async get(path: string): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    const res = await fetch(url, {
      signal: AbortSignal.any([AbortSignal.timeout(5000), this.stopping.signal]),
    });
    if (!res.ok) throw new Error(`beacon answered ${res.status} at ${url}`);
    try {
      return await res.json();
    } catch {
      throw new BeaconRefusedError(`the beacon's answer at ${url} is not JSON`);
    }
  }
}

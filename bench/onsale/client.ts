/**
 * The on-sale driver's HTTP side: a per-fan cookie jar on top of fetch, a global cap on
 * requests in flight (so 20,000 fans never open 20,000 sockets at once), and latency
 * samples per API name for p50/p99.
 */

import { viewerHeaders } from '@ticketslave/dev/test-support';

export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export class Latencies {
  private readonly samples = new Map<string, number[]>();
  private readonly statuses = new Map<string, Map<number, number>>();
  add(api: string, ms: number, status: number): void {
    let s = this.samples.get(api);
    if (!s) this.samples.set(api, (s = []));
    s.push(ms);
    let st = this.statuses.get(api);
    if (!st) this.statuses.set(api, (st = new Map()));
    st.set(status, (st.get(status) ?? 0) + 1);
  }
  summary(): Record<
    string,
    { n: number; p50: number; p99: number; max: number; statuses: Record<string, number> }
  > {
    const out: ReturnType<Latencies['summary']> = {};
    for (const [api, s] of [...this.samples].sort((a, b) => a[0].localeCompare(b[0]))) {
      const sorted = [...s].sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      out[api] = {
        n: sorted.length,
        p50: Math.round(q(0.5)),
        p99: Math.round(q(0.99)),
        max: Math.round(sorted[sorted.length - 1] ?? 0),
        statuses: Object.fromEntries(this.statuses.get(api) ?? []),
      };
    }
    return out;
  }
}

export interface ApiResult<T> {
  status: number;
  body: T;
  ms: number;
  /** How many times the request was sent: more than 1 when earlier tries got no answer (patience). */
  attempts: number;
}

export interface ClientShared {
  /** The platform's public origin: sent as Origin on state-changing requests and WebSockets. */
  origin: string;
  limiter: Limiter;
  latencies: Latencies;
  /**
   * A request failing at the network level (refused, reset, timed out) is sent again for
   * this long, as a fan reloads while a service restarts (default 0: it throws at once).
   * Each failed try counts as status 0 in the latency table.
   */
  patienceMs?: number;
  /** The platform's origin secret: each fan's requests come "through CloudFront" from its own address. */
  edge?: { header: string; secret: string };
}

/** One simulated browser: its cookies, its own client address (CloudFront-Viewer-Address). */
export class FanClient {
  readonly cookies = new Map<string, string>();
  constructor(
    private readonly shared: ClientShared,
    readonly ip: string,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      if (eq < 0) continue;
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => {
        const [k, v] = a.trim().split('=');
        if (k?.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k?.toLowerCase() === 'expires') return Date.parse(v ?? '') < Date.now();
        return false;
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** `api` names the endpoint for the latency table (e.g. `purchase POST holds`). */
  async call<T = unknown>(api: string, method: string, url: string, body?: unknown): Promise<ApiResult<T>> {
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        return { ...(await this.once<T>(api, method, url, body)), attempts: attempt };
      } catch (err) {
        if (Date.now() - since >= (this.shared.patienceMs ?? 0)) throw err;
        await sleep(Math.min(2000, 250 * attempt));
      }
    }
  }

  private once<T>(
    api: string,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<Omit<ApiResult<T>, 'attempts'>> {
    return this.shared.limiter.run(async () => {
      const headers: Record<string, string> = viewerHeaders(this.ip, this.shared.edge);
      const cookie = this.cookieHeader();
      if (cookie) headers.cookie = cookie;
      if (method !== 'GET') {
        headers.origin = this.shared.origin;
        headers['content-type'] = 'application/json';
      }
      const t0 = performance.now();
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        this.shared.latencies.add(api, performance.now() - t0, 0);
        throw err;
      }
      const text = await res.text();
      const ms = performance.now() - t0;
      this.shared.latencies.add(api, ms, res.status);
      this.store(res);
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed as T, ms };
    });
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Problem+json `code` (or `type` tail) of an error answer. */
export function problemCode(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { code?: string; type?: string };
    if (b.code) return b.code;
    if (b.type) return b.type.split('/').pop() ?? '';
  }
  return '';
}

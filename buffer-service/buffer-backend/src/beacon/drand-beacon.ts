import { z } from 'zod';
import type { Beacon } from '../domain/ports';

const Round = z.object({ round: z.number().int().min(0), randomness: z.string().regex(/^[0-9a-f]{64}$/) });

/**
 * Reads a drand-compatible beacon. The round current at the call may have been
 * published before the buffer closed, so we wait for the next one: its value did
 * not exist when the entrant list was fixed, which is what stops grinding.
 */
export class DrandBeacon implements Beacon {
  constructor(
    private readonly baseUrl: string | undefined,
    private readonly opts: { pollMs?: number; timeoutMs?: number } = {},
  ) {}

  async nextValue(): Promise<{ randomness: string; round: number | null }> {
    if (!this.baseUrl) return { randomness: '', round: null };
    const first = await this.latest();
    const deadline = Date.now() + (this.opts.timeoutMs ?? 60_000);
    for (;;) {
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 500));
      const next = await this.latest();
      if (next.round > first.round) return next;
      if (Date.now() > deadline) throw new Error(`beacon did not advance past round ${first.round}`);
    }
  }

  private async latest(): Promise<{ randomness: string; round: number }> {
    const url = `${this.baseUrl!.replace(/\/$/, '')}/public/latest`;
    const res = await fetch(url, {
      signal: AbortSignal.timeout(5000),
      headers: { 'cache-control': 'no-cache' },
    });
    if (!res.ok) throw new Error(`beacon answered ${res.status} at ${url}`);
    return Round.parse(await res.json());
  }
}

/**
 * Group commit for one kind of write: items for the same key that arrive while a batch
 * of that key is in flight wait and go together in the next batch. Under a storm one
 * round trip, lock and commit serve many callers; a lone item goes at once (no timer,
 * no added latency when idle).
 *
 * `run(key, items)` answers one result per item, in the items' order; when it throws,
 * every item of that batch is rejected with the error.
 */
export class KeyedBatcher<T, R> {
  private readonly waiting = new Map<
    string,
    { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[]
  >();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly run: (key: string, items: T[]) => Promise<R[]>,
    private readonly opts: { maxBatch: number; inFlightPerKey: number },
  ) {}

  /** Items waiting or in flight, all keys (for metrics and shutdown). */
  get pending(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.length;
    for (const f of this.inFlight.values()) n += f;
    return n;
  }

  submit(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting = this.waiting.get(key) ?? [];
      waiting.push({ item, resolve, reject });
      this.waiting.set(key, waiting);
      if ((this.inFlight.get(key) ?? 0) < this.opts.inFlightPerKey) void this.send(key);
    });
  }

  private async send(key: string): Promise<void> {
    const waiting = this.waiting.get(key);
    if (!waiting?.length) return;
    const batch = waiting.splice(0, this.opts.maxBatch);
    if (waiting.length === 0) this.waiting.delete(key);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    try {
      const results = await this.run(
        key,
        batch.map((b) => b.item),
      );
      if (results.length !== batch.length)
        throw new Error(`batch of ${batch.length} answered ${results.length} results`);
      batch.forEach((b, i) => b.resolve(results[i]!));
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      const left = this.inFlight.get(key)! - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      if (this.waiting.has(key)) void this.send(key);
    }
  }
}

import { PageCache, strongEtag, type PageSource } from './page-cache';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('PageCache', () => {
  let now = 1_000_000;
  const clock = () => now;
  beforeEach(() => (now = 1_000_000));

  const counting = (value: unknown, changesAt: number | null = null) => {
    const reads = { n: 0 };
    const source = async (): Promise<PageSource> => {
      reads.n++;
      return { value: { ...(value as object), read: reads.n }, changesAt };
    };
    return { reads, source };
  };

  it('serves the rendered bytes and ETag until maxAge, then reads again', async () => {
    const cache = new PageCache({ maxAgeMs: 2000, now: clock });
    const { reads, source } = counting({ a: 1 });
    const first = await cache.get('k', source);
    expect(JSON.parse(first.body.toString())).toEqual({ a: 1, read: 1 });
    expect(first.etag).toBe(strongEtag(first.body));
    now += 1999;
    expect(await cache.get('k', source)).toBe(first);
    now += 1;
    expect(JSON.parse((await cache.get('k', source)).body.toString()).read).toBe(2);
    expect(reads.n).toBe(2);
  });

  it('reads again at the instant time changes the page (a sale opens), before maxAge', async () => {
    const cache = new PageCache({ maxAgeMs: 60_000, now: clock });
    const { reads, source } = counting({ a: 1 }, now + 500);
    await cache.get('k', source);
    now += 499;
    await cache.get('k', source);
    expect(reads.n).toBe(1);
    now += 1;
    await cache.get('k', source);
    expect(reads.n).toBe(2);
  });

  it('drops everything on invalidate', async () => {
    const cache = new PageCache({ maxAgeMs: 60_000, now: clock });
    const a = counting({ a: 1 });
    const b = counting({ b: 1 });
    await cache.get('a', a.source);
    await cache.get('b', b.source);
    cache.invalidate();
    await cache.get('a', a.source);
    await cache.get('b', b.source);
    expect([a.reads.n, b.reads.n]).toEqual([2, 2]);
  });

  it('shares one read between concurrent misses on a key', async () => {
    const cache = new PageCache({ maxAgeMs: 60_000, now: clock });
    const gate = deferred<void>();
    let reads = 0;
    const source = async (): Promise<PageSource> => {
      reads++;
      await gate.promise;
      return { value: { x: 1 }, changesAt: null };
    };
    const pages = Promise.all([cache.get('k', source), cache.get('k', source), cache.get('k', source)]);
    gate.resolve();
    const [p1, p2, p3] = await pages;
    expect(reads).toBe(1);
    expect(p1).toBe(p2);
    expect(p2).toBe(p3);
  });

  it('never stores a read that was under way when a change was committed', async () => {
    const cache = new PageCache({ maxAgeMs: 60_000, now: clock });
    const gate = deferred<void>();
    let version = 1;
    const source = async (): Promise<PageSource> => {
      const seen = version; // the snapshot the read sees
      await gate.promise;
      return { value: { version: seen }, changesAt: null };
    };
    const before = cache.get('k', source);
    version = 2; // a write commits...
    cache.invalidate(); // ...and drops the pages
    // A request arriving after the change does not join the older read.
    const after = cache.get('k', source);
    gate.resolve();
    expect(JSON.parse((await before).body.toString())).toEqual({ version: 1 });
    expect(JSON.parse((await after).body.toString())).toEqual({ version: 2 });
    expect(JSON.parse((await cache.get('k', source)).body.toString())).toEqual({ version: 2 });
  });

  it('does not keep failures, and keeps at most maxEntries keys', async () => {
    const cache = new PageCache({ maxAgeMs: 60_000, maxEntries: 2, now: clock });
    await expect(cache.get('bad', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    const ok = counting({ ok: true });
    await cache.get('bad', ok.source);
    expect(ok.reads.n).toBe(1);
    const a = counting({ a: 1 });
    await cache.get('a', a.source);
    await cache.get('c', counting({ c: 1 }).source); // 'bad' (the oldest) goes
    await cache.get('a', a.source);
    expect(a.reads.n).toBe(1);
    await cache.get('bad', ok.source);
    expect(ok.reads.n).toBe(2);
  });

  it('reads every time when turned off (maxAgeMs 0)', async () => {
    const cache = new PageCache({ maxAgeMs: 0, now: clock });
    const { reads, source } = counting({ a: 1 });
    await cache.get('k', source);
    await cache.get('k', source);
    expect(reads.n).toBe(2);
  });
});

import { KeyedBatcher } from './batcher';

/** A run whose batches the test releases by hand. */
function manualRun() {
  const calls: { key: string; items: number[]; release: (fail?: Error) => void }[] = [];
  const run = (key: string, items: number[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        key,
        items,
        release: (fail) => (fail ? reject(fail) : resolve(items.map((i) => `${key}:${i * 10}`))),
      });
    });
  return { calls, run };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('KeyedBatcher', () => {
  it('sends a lone item at once and groups the items that arrive while it is in flight', async () => {
    const { calls, run } = manualRun();
    const b = new KeyedBatcher(run, { maxBatch: 10, inFlightPerKey: 1 });
    const first = b.submit('e1', 1);
    expect(calls.map((c) => c.items)).toEqual([[1]]);
    const later = [2, 3, 4].map((i) => b.submit('e1', i));
    await tick();
    expect(calls).toHaveLength(1);
    calls[0]!.release();
    expect(await first).toBe('e1:10');
    await tick();
    expect(calls.map((c) => c.items)).toEqual([[1], [2, 3, 4]]);
    calls[1]!.release();
    expect(await Promise.all(later)).toEqual(['e1:20', 'e1:30', 'e1:40']);
    expect(b.pending).toBe(0);
  });

  it('keeps keys apart, caps a batch at maxBatch and rejects only the failed batch', async () => {
    const { calls, run } = manualRun();
    const b = new KeyedBatcher(run, { maxBatch: 2, inFlightPerKey: 1 });
    const a1 = b.submit('a', 1);
    const other = b.submit('b', 9);
    const rest = [2, 3, 4].map((i) => b.submit('a', i));
    expect(calls.map((c) => [c.key, c.items])).toEqual([
      ['a', [1]],
      ['b', [9]],
    ]);
    expect(b.pending).toBe(5);
    calls[0]!.release(new Error('deadlock detected'));
    await expect(a1).rejects.toThrow('deadlock detected');
    calls[1]!.release();
    expect(await other).toBe('b:90');
    await tick();
    expect(calls[2]!.items).toEqual([2, 3]);
    calls[2]!.release();
    await tick();
    expect(calls[3]!.items).toEqual([4]);
    calls[3]!.release();
    expect(await Promise.all(rest)).toEqual(['a:20', 'a:30', 'a:40']);
  });

  it('rejects a batch whose run answers the wrong number of results', async () => {
    const b = new KeyedBatcher(async (_k, items: number[]) => items.slice(1), {
      maxBatch: 5,
      inFlightPerKey: 1,
    });
    await expect(b.submit('k', 1)).rejects.toThrow('batch of 1 answered 0 results');
  });
});

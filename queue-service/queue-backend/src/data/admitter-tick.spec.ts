import { DEFAULT_TICK_MS, PROGRESS_MAX_GAP_MS, progressDue } from './admitter-tick';

/** Progress times of fixed-rate ticks, each started up to `jitterMs` late (a busy event loop, a slow commit). */
function progressTimes(tickMs: number, jitterMs: number, seconds: number, seed = 7): number[] {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * jitterMs;
  const out: number[] = [];
  let last: number | null = null;
  for (let t = 0; t < seconds * 1000; t += tickMs) {
    const at = t + rand();
    if (progressDue(last === null ? null : at - last, tickMs)) out.push((last = at));
  }
  return out;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('progress cadence', () => {
  it('publishes on the first tick of an event', () => {
    expect(progressDue(null, DEFAULT_TICK_MS)).toBe(true);
  });

  it('publishes on the last tick slot that leaves 0.1 s for delivery', () => {
    expect(progressDue(600, 300)).toBe(false);
    expect(progressDue(900, 300)).toBe(true);
    expect(progressDue(850, 50)).toBe(false);
    expect(progressDue(900, 50)).toBe(true);
  });

  it.each([
    [300, 40],
    [250, 40],
    [50, 10],
  ])('keeps every gap under 0.95 s with %i ms ticks started up to %i ms late', (tickMs, jitterMs) => {
    const g = gaps(progressTimes(tickMs, jitterMs, 120));
    expect(g.length).toBeGreaterThan(100);
    expect(Math.max(...g)).toBeLessThan(PROGRESS_MAX_GAP_MS - 50);
    // …and does not flood: never more than twice a second.
    expect(Math.min(...g)).toBeGreaterThan(PROGRESS_MAX_GAP_MS / 2);
  });

  it('goes out every 0.9 s with the default tick, leaving 0.1 s for delivery', () => {
    const g = gaps(progressTimes(DEFAULT_TICK_MS, 0, 30));
    expect(new Set(g.map((x) => Math.round(x)))).toEqual(new Set([900]));
  });
});

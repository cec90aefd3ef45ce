import { concurrentParts, type Part } from './lifecycle';

const part = (name: string, log: string[], opts: { startMs?: number; fail?: boolean } = {}): Part => ({
  name,
  start: async () => {
    log.push(`start ${name}`);
    await new Promise((r) => setTimeout(r, opts.startMs ?? 0));
    if (opts.fail) throw new Error(`${name} failed`);
    log.push(`started ${name}`);
  },
  stop: async () => {
    log.push(`stop ${name}`);
  },
});

describe('concurrentParts', () => {
  it('starts its parts at once: the slowest sets the time, not the sum', async () => {
    const log: string[] = [];
    const both = concurrentParts('consumers', [
      part('a', log, { startMs: 30 }),
      part('b', log, { startMs: 30 }),
    ]);
    await both.start();
    // Both began before either finished: one after the other would read start a, started a, start b.
    expect(log.slice(0, 2)).toEqual(['start a', 'start b']);
    expect(log.slice(2).sort()).toEqual(['started a', 'started b']);
    await both.stop();
    expect(log.filter((l) => l.startsWith('stop')).sort()).toEqual(['stop a', 'stop b']);
  });

  it('stops the parts that started when another fails, and fails itself', async () => {
    const log: string[] = [];
    const both = concurrentParts('consumers', [part('ok', log), part('bad', log, { fail: true })]);
    await expect(both.start()).rejects.toThrow('bad failed');
    expect(log).toContain('stop ok');
    expect(log).not.toContain('stop bad');
  });
});

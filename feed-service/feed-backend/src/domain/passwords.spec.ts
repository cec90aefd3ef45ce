import { concurrencyLimit, passwordProblems } from './passwords';

describe('passwordProblems', () => {
  it('accepts a long uncommon password', () =>
    expect(passwordProblems('correct horse battery staple')).toEqual([]));
  it('refuses fewer than 10 characters', () =>
    expect(passwordProblems('abc123xyz')[0]!.message).toMatch(/at least 10/));
  it('refuses a listed common password whatever its case', () =>
    expect(passwordProblems('QWERTYUIOP')[0]!.message).toMatch(/common/));
  it('refuses the e-mail address as password', () =>
    expect(passwordProblems('someone@example.test', 'someone@example.test')[0]!.message).toMatch(/e-mail/));
});

describe('concurrencyLimit', () => {
  it('runs at most the limit at once, the rest in arrival order, and frees a slot on failure', async () => {
    const limited = concurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      order.push(i);
      if (i === 0) throw new Error('boom');
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => limited(task(i))));
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual([
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
  });
});

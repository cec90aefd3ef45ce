import { withoutCallSiteStack } from './stripe-gateway';

describe('withoutCallSiteStack', () => {
  it('captures no stack frames while the call starts, as the Stripe SDK does on every request', async () => {
    let captured = '';
    await withoutCallSiteStack(() => {
      captured = new Error().stack ?? '';
      return Promise.resolve();
    });
    expect(captured).not.toMatch(/\n\s+at /);
    // Outside it, errors have their frames again.
    expect((new Error().stack ?? '').split('\n').length).toBeGreaterThan(1);
  });

  it('restores the stack limit when the call throws at once, and an error made later keeps its frames', async () => {
    const before = Error.stackTraceLimit;
    expect(() =>
      withoutCallSiteStack(() => {
        throw new Error('refused synchronously');
      }),
    ).toThrow('refused synchronously');
    expect(Error.stackTraceLimit).toBe(before);
    const later = await withoutCallSiteStack(
      () => new Promise<Error>((resolve) => setImmediate(() => resolve(new Error('later')))),
    );
    expect((later.stack ?? '').split('\n').length).toBeGreaterThan(1);
  });
});

import {
  admissionBudget,
  claimBy,
  inventoryState,
  measuredRate,
  refill,
  saleHasStarted,
} from './admission-rules';

describe('admission rules', () => {
  const t0 = new Date('2030-01-01T00:00:00Z');

  it('refills the bucket at the rate and caps it at one second of admissions', () => {
    expect(refill({ tokens: 0, at: t0 }, 60, new Date(t0.getTime() + 500)).tokens).toBeCloseTo(0.5);
    expect(refill({ tokens: 0, at: t0 }, 600, new Date(t0.getTime() + 60_000)).tokens).toBe(10);
    expect(refill({ tokens: 0, at: t0 }, 6, new Date(t0.getTime() + 3600_000)).tokens).toBe(1);
  });

  it('never moves the bucket backwards when the clock does', () => {
    expect(refill({ tokens: 0.3, at: t0 }, 60, new Date(t0.getTime() - 1000)).tokens).toBeCloseTo(0.3);
  });

  it('limits the budget by tokens, free shopper slots and the numbers handed out', () => {
    const base = {
      tokens: 5.9,
      maxActiveShoppers: 10,
      active: 0,
      serving: 0,
      lastNumber: 100,
      halted: false,
    };
    expect(admissionBudget(base)).toBe(5);
    expect(admissionBudget({ ...base, active: 8 })).toBe(2);
    expect(admissionBudget({ ...base, active: 12 })).toBe(0);
    expect(admissionBudget({ ...base, serving: 98 })).toBe(2);
    expect(admissionBudget({ ...base, halted: true })).toBe(0);
  });

  it('gives a present fan at least 30 s to claim even with no away-grace', () => {
    expect(claimBy(t0, 0).getTime() - t0.getTime()).toBe(30_000);
    expect(claimBy(t0, 120).getTime() - t0.getTime()).toBe(120_000);
  });

  it('smooths the measured rate', () => {
    expect(measuredRate(0, 10, 1)).toBe(600);
    expect(measuredRate(600, 0, 1)).toBe(480);
  });

  it('tells sold out from "everything left is in carts"', () => {
    expect(inventoryState({ available: 0, held: 0 })).toEqual({ soldOut: true, inCarts: false });
    expect(inventoryState({ available: 0, held: 3 })).toEqual({ soldOut: false, inCarts: true });
    expect(inventoryState({ available: 2, held: 3 })).toEqual({ soldOut: false, inCarts: false });
  });
});

describe('saleHasStarted', () => {
  const now = new Date('2030-01-01T10:00:00Z');
  it('holds admission back until the announced sale time', () => {
    expect(saleHasStarted('2030-01-01T10:00:01Z', now)).toBe(false);
    expect(saleHasStarted(new Date('2030-01-01T10:00:00Z'), now)).toBe(true);
    expect(saleHasStarted('2030-01-01T09:00:00Z', now)).toBe(true);
  });
  it('does not hold back an event whose sale time is unknown', () => {
    expect(saleHasStarted(null, now)).toBe(true);
  });
});

import type { Category } from '@ticketslave/common';
import { EventInput, effectiveStatus, publishProblems, removedSeatProblems } from './event-rules';

const floor = (to: string, seats = 20): Category => ({
  id: 'floor',
  name: 'Floor',
  kind: 'reserved',
  priceMinor: 100,
  currency: 'EUR',
  sections: [{ name: 'F', rows: [{ from: 'A', to, seats }] }],
});
const ga = (capacity: number): Category => ({
  id: 'ga',
  name: 'GA',
  kind: 'ga',
  priceMinor: 50,
  currency: 'EUR',
  capacity,
});
const now = new Date('2030-01-01T00:00:00Z');

describe('removedSeatProblems', () => {
  it('allows adding rows and capacity', () => {
    expect(removedSeatProblems([floor('J'), ga(500)], [floor('K'), ga(600)])).toEqual([]);
  });
  it('refuses fewer rows, fewer seats per row, a smaller GA and a removed category', () => {
    expect(removedSeatProblems([floor('J')], [floor('I')])[0]!.message).toMatch(/remove 20 seat/);
    expect(removedSeatProblems([floor('J')], [floor('J', 19)])[0]!.message).toMatch(/remove 10 seat/);
    expect(removedSeatProblems([ga(500)], [ga(499)])[0]!.path).toBe('categories.0.capacity');
    expect(removedSeatProblems([floor('J'), ga(5)], [floor('J')])[0]!.message).toMatch(
      /"ga" cannot be removed/,
    );
  });
});

describe('publishProblems', () => {
  const complete = EventInput.parse({
    title: 'T',
    artist: 'A',
    venue: 'V',
    city: 'C',
    saleStartsAt: '2030-01-02T00:00:00Z',
    startsAt: '2030-02-01T00:00:00Z',
    categories: [floor('J')],
  });
  it('accepts a complete event', () => expect(publishProblems(complete, now)).toEqual([]));
  it('reports mixed currencies', () => {
    const mixed = { ...complete, categories: [floor('J'), { ...ga(5), currency: 'USD' }] };
    expect(publishProblems(mixed, now).map((p) => p.path)).toEqual(['categories']);
  });
});

describe('effectiveStatus', () => {
  const e = {
    status: 'published' as const,
    saleStartsAt: '2030-01-02T00:00:00Z',
    startsAt: '2030-02-01T00:00:00Z',
  };
  it('is published before the sale, on sale after it, completed after the show', () => {
    expect(effectiveStatus(e, now)).toBe('published');
    expect(effectiveStatus(e, new Date('2030-01-03T00:00:00Z'))).toBe('on_sale');
    expect(effectiveStatus(e, new Date('2030-03-01T00:00:00Z'))).toBe('completed');
  });
  it('is sold out when nothing is available or held', () => {
    expect(effectiveStatus(e, now, { available: 0, held: 0, sold: 10 })).toBe('sold_out');
    expect(effectiveStatus(e, now, { available: 0, held: 2, sold: 8 })).toBe('published');
  });
});

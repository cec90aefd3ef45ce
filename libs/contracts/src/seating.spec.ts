import { rowLabels, rowLabelsOrNone } from './seating';

describe('rowLabels', () => {
  it('when a range is letters, then it counts on past Z to AA', () => {
    expect(rowLabels('Y', 'AB')).toEqual(['Y', 'Z', 'AA', 'AB']);
  });
  it('when a range is numbers, then it lists each number', () => {
    expect(rowLabels('9', '11')).toEqual(['9', '10', '11']);
  });
  it('when a range has one end, then it is that row', () => {
    expect(rowLabels('C')).toEqual(['C']);
  });
  it('when a range runs backwards or mixes kinds, then it is refused (and the editor shows no rows)', () => {
    expect(() => rowLabels('C', 'A')).toThrow('runs backwards');
    expect(() => rowLabels('A', '3')).toThrow('mixes letters and numbers');
    expect(rowLabelsOrNone('C', 'A')).toEqual([]);
    expect(rowLabelsOrNone('a', 'c')).toEqual([]);
    expect(rowLabelsOrNone('A', 'C')).toEqual(['A', 'B', 'C']);
  });
});

import { concatClosingEntries, hashRanges, type ClosingEntries } from './close-copy';

describe('hashRanges', () => {
  it('cuts the hash space into contiguous ranges by first hex digit, open at both ends', () => {
    expect(hashRanges(1)).toEqual([{}]);
    expect(hashRanges(2)).toEqual([{ below: '8' }, { from: '8' }]);
    expect(hashRanges(3)).toEqual([{ below: '5' }, { from: '5', below: 'b' }, { from: 'b' }]);
    expect(hashRanges(99)).toHaveLength(16);
  });
});

describe('concatClosingEntries', () => {
  const part = (hashes: string[], users: string[]): ClosingEntries => {
    const bytes = Buffer.from(users.join(''));
    let end = 0;
    return {
      entrants: { count: hashes.length, list: Buffer.from(hashes.join('\n')) },
      users: { bytes, ends: Uint32Array.from(users, (u) => (end += u.length)) },
      late: [],
    };
  };

  it('joins reads of consecutive ranges into what one read gives, skipping empty ones', () => {
    const a = '1'.repeat(64);
    const b = '9'.repeat(64);
    const c = 'f'.repeat(64);
    const joined = concatClosingEntries([part([a], ['u1']), part([], []), part([b, c], ['user-9', 'x'])]);
    expect(joined.entrants.count).toBe(3);
    expect(joined.entrants.list.toString()).toBe(`${a}\n${b}\n${c}`);
    expect(joined.users.bytes.toString()).toBe('u1user-9x');
    expect([...joined.users.ends]).toEqual([2, 8, 9]);
  });

  it('refuses late joiners, whose order is join order, not hash order', () => {
    expect(() => concatClosingEntries([{ ...part([], []), late: [Buffer.from('l')] }])).toThrow(/late/);
  });
});

import { canonicalEmail } from './person';

describe('canonicalEmail', () => {
  it.each([
    ['Fan@Example.org', 'fan@example.org'],
    ['  fan@example.org ', 'fan@example.org'],
    ['fan+1@example.org', 'fan@example.org'],
    ['fan+tickets+2@example.org', 'fan@example.org'],
    ['f.a.n@example.org', 'f.a.n@example.org'],
    ['F.a.N+x@GMail.com', 'fan@gmail.com'],
    ['f.an+y@googlemail.com', 'fan@gmail.com'],
    ['+only@example.org', '+only@example.org'],
  ])('when given %s, answers %s', (input, canonical) => {
    expect(canonicalEmail(input)).toBe(canonical);
  });

  it('when two addresses reach different inboxes, keeps them apart', () => {
    expect(canonicalEmail('fan@example.org')).not.toBe(canonicalEmail('fan@example.com'));
    expect(canonicalEmail('f.an@example.org')).not.toBe(canonicalEmail('fan@example.org'));
  });
});

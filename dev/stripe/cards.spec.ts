import { cardFingerprint, classifyCard } from './cards';

describe('test cards', () => {
  it('gives an approved card a fingerprint that is the same for its number however typed, and differs between numbers', () => {
    const a = classifyCard('4242 4242 4242 4242');
    const b = classifyCard('4242-4242-4242-4242');
    const other = classifyCard('5555 5555 5555 4444');
    expect(a.kind === 'approved' && b.kind === 'approved' && other.kind === 'approved').toBe(true);
    if (a.kind !== 'approved' || b.kind !== 'approved' || other.kind !== 'approved') return;
    expect(a.fingerprint).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(other.fingerprint).not.toBe(a.fingerprint);
    expect(a.fingerprint).toBe(cardFingerprint('4242424242424242'));
  });
});

import { passwordProblems } from './passwords';

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

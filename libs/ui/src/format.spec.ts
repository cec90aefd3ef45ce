import { currencyDigits, formatMoney, parseMajorInput, toMajorInput } from './format';

describe('prices in major units', () => {
  it('knows each currency’s minor unit', () => {
    expect([currencyDigits('EUR'), currencyDigits('JPY'), currencyDigits('KWD')]).toEqual([2, 0, 3]);
  });

  it('reads what an organiser types into minor units, and shows minor units back the same way', () => {
    expect(parseMajorInput('49.5', 'EUR')).toEqual({ minor: 4950 });
    expect(parseMajorInput('49,50', 'EUR')).toEqual({ minor: 4950 });
    expect(parseMajorInput(' 1 200 ', 'EUR')).toEqual({ minor: 120000 });
    expect(parseMajorInput('4950', 'JPY')).toEqual({ minor: 4950 });
    expect(parseMajorInput('1.234', 'KWD')).toEqual({ minor: 1234 });
    expect(toMajorInput(4950, 'EUR')).toBe('49.50');
    expect(toMajorInput(4950, 'JPY')).toBe('4950');
    expect(formatMoney(4950, 'JPY', 'en-GB')).toBe('JP¥4,950');
  });

  it('refuses fractions a currency does not have and anything that is not an amount', () => {
    expect(parseMajorInput('49.5', 'JPY')).toEqual({ error: 'a whole amount (JPY has no cents)' });
    expect(parseMajorInput('49.505', 'EUR')).toHaveProperty('error');
    expect(parseMajorInput('-5', 'EUR')).toHaveProperty('error');
    expect(parseMajorInput('abc', 'EUR')).toHaveProperty('error');
    expect(parseMajorInput('', 'EUR')).toHaveProperty('error');
    expect(parseMajorInput('99999999999', 'EUR')).toEqual({ error: 'too large' });
  });
});

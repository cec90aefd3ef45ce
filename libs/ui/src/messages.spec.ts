import { createTranslator, interpolate, placeholders, render } from './i18n/catalogue';
import { chooseLocale, formatLocaleFor, readCookie, type Locale } from './i18n/locale';
import { formatApproxDuration, formatClock, formatMoney } from './format';
import { formatZonedDateTime, zoneLabel } from './zoned-time';

describe('chooseLocale', () => {
  it('when the fan chose a language before, then that choice wins over the browser', () => {
    expect(chooseLocale('en', ['de-DE', 'de'])).toBe('en');
  });
  it('when nothing is stored, then the first browser language we speak is taken, by its primary subtag', () => {
    expect(chooseLocale(null, ['fr-FR', 'de-AT', 'en'])).toBe('de');
    expect(chooseLocale('xx', ['en-GB'])).toBe('en');
  });
  it('when the browser speaks nothing we have, then English', () => {
    expect(chooseLocale(undefined, ['fr', 'ja'])).toBe('en');
    expect(chooseLocale(undefined, [])).toBe('en');
  });
});

describe('formatLocaleFor', () => {
  it("when the browser's tag is in the UI language, then dates and numbers follow the tag (en-GB, de-CH)", () => {
    expect(formatLocaleFor('en', ['en-GB', 'de'])).toBe('en-GB');
    expect(formatLocaleFor('de', ['en-US', 'de-CH'])).toBe('de-CH');
  });
  it('when the fan switched to a language the browser does not list, then the language itself', () => {
    expect(formatLocaleFor('de', ['en-US'])).toBe('de');
  });
});

describe('readCookie', () => {
  it('when several cookies are set, then the named one is read', () => {
    expect(readCookie('a=1; ts_locale=de; b=2', 'ts_locale')).toBe('de');
    expect(readCookie('a=1', 'ts_locale')).toBeNull();
  });
});

describe('messages', () => {
  it('when a message has placeholders, then they are filled and numbers written the locale way', () => {
    expect(interpolate('#{n} of {total}', { n: 1234, total: 'all' }, 'de-DE')).toBe('#1.234 of all');
    expect(placeholders({ one: '{count} seat', other: '{count} seats in {row}' })).toEqual(['count', 'row']);
  });
  it('when a message has plural forms, then Intl.PluralRules picks the form for count', () => {
    const seats = { one: '{count} Sitzplatz', other: '{count} Sitzplätze' };
    expect(render(seats, 'de', { count: 1 })).toBe('1 Sitzplatz');
    expect(render(seats, 'de', { count: 3 })).toBe('3 Sitzplätze');
    expect(render(seats, 'de', { count: 0 })).toBe('0 Sitzplätze');
  });
  it('when the language changes, then the same t speaks the new one', () => {
    let lang: Locale = 'en';
    const t = createTranslator({ en: { hi: 'Hello {name}' }, de: { hi: 'Hallo {name}' } }, () => lang);
    expect(t('hi', { name: 'Ada' })).toBe('Hello Ada');
    lang = 'de';
    expect(t('hi', { name: 'Ada' })).toBe('Hallo Ada');
  });
});

describe('locale-aware formatting', () => {
  it('when German is asked for, then money, durations and venue times read German, with the zone', () => {
    expect(formatMoney(4950, 'EUR', 'de-DE')).toBe('49,50\u00a0€');
    expect(formatApproxDuration(20_000, 'de-DE')).toBe('weniger als eine Minute');
    expect(formatApproxDuration(180_000, 'de-DE')).toBe('etwa 3 Minuten');
    expect(formatClock(2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000, 'de-DE')).toBe('2 T 03:04:05');
    const at = '2026-03-14T18:30:00Z';
    expect(zoneLabel(at, 'Europe/Berlin', 'de-DE')).toBe('MEZ');
    expect(formatZonedDateTime(at, 'Europe/Berlin', 'de-DE')).toBe('Sa., 14. März 2026, 19:30 MEZ');
  });
  it('when English is asked for, then the old English phrasing', () => {
    expect(formatApproxDuration(180_000, 'en-US')).toBe('about 3 minutes');
    expect(formatClock(2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000, 'en-US')).toBe('2d 03:04:05');
    expect(formatZonedDateTime('2026-03-14T18:30:00Z', 'Europe/Berlin', 'en-US')).toBe('Sat, Mar 14, 2026, 7:30 PM GMT+1');
  });
});

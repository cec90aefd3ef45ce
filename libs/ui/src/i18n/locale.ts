/**
 * Which language the UI speaks, and which locale formats its numbers and dates. Pure
 * functions, so they run in jest as well as in the browser (the state is in locale.svelte.ts).
 */

/** The languages every fan-facing catalogue is complete in; the first is the fallback. */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

/** Each language named in itself, for the switch. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', de: 'Deutsch' };

/** The fan's choice, kept in localStorage and in a cookie so every service's frontend on the origin agrees. */
export const LOCALE_STORAGE_KEY = 'ts-locale';
export const LOCALE_COOKIE = 'ts_locale';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

const primary = (tag: string) => tag.toLowerCase().split(/[-_]/)[0] ?? '';

/**
 * The UI language: a stored choice wins; else the first of the browser's languages we
 * speak ("de-AT" → de); else English.
 */
export function chooseLocale(stored: string | null | undefined, languages: readonly string[]): Locale {
  if (isLocale(stored)) return stored;
  for (const tag of languages) {
    const p = primary(tag);
    if (isLocale(p)) return p;
  }
  return LOCALES[0];
}

/**
 * The locale numbers and dates are formatted in: the browser's own tag when it is in the
 * UI language (en-GB keeps "14 Mar", de-CH keeps its apostrophes), else the UI language itself.
 */
export function formatLocaleFor(locale: Locale, languages: readonly string[]): string {
  return languages.find((tag) => primary(tag) === locale) ?? locale;
}

/** The value of `name` in a `document.cookie` string. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

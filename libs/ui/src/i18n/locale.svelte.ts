/**
 * The page's UI language as state: chosen once at start (stored choice, else the browser's
 * languages, else English), switched by the fan, persisted for every frontend on the origin,
 * mirrored in `<html lang>` so screen readers pronounce the page right.
 */
import { setActiveFormatLocaleSource } from './active-locale';
import { createTranslator, type Messages, type Translate, type Translation } from './catalogue';
import { chooseLocale, formatLocaleFor, LOCALE_COOKIE, LOCALE_STORAGE_KEY, readCookie, type Locale } from './locale';

const inBrowser = typeof window !== 'undefined';
const browserLanguages = (): readonly string[] =>
  inBrowser ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : [];

function storedChoice(): string | null {
  if (!inBrowser) return null;
  try {
    const kept = localStorage.getItem(LOCALE_STORAGE_KEY);
    if (kept) return kept;
  } catch {
    // storage blocked (private mode, a sandboxed frame): the cookie still tells
  }
  return readCookie(document.cookie, LOCALE_COOKIE);
}

export class UiLocale {
  current = $state<Locale>(chooseLocale(storedChoice(), browserLanguages()));
  /** The tag numbers and dates are formatted with ("en-US", "de-DE", "de"). */
  readonly format = $derived(formatLocaleFor(this.current, browserLanguages()));

  constructor() {
    this.mirror();
  }

  /** The fan's choice: takes effect at once and holds on every page of the platform. */
  set(locale: Locale): void {
    this.current = locale;
    if (inBrowser) {
      try {
        localStorage.setItem(LOCALE_STORAGE_KEY, locale);
      } catch {
        // the cookie below is enough
      }
      document.cookie = `${LOCALE_COOKIE}=${locale}; Path=/; Max-Age=31536000; SameSite=Lax`;
    }
    this.mirror();
  }

  private mirror(): void {
    if (inBrowser) document.documentElement.lang = this.current;
  }
}

/** The one UI language of the page. */
export const uiLocale = new UiLocale();
setActiveFormatLocaleSource(() => uiLocale.format);

/** A frontend's `t`, following the page's language. */
export function translator<E extends Messages>(catalogues: { en: E; de: Translation<E> }): Translate<E> {
  return createTranslator(catalogues, () => uiLocale.current);
}

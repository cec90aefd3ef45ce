/**
 * A typed message catalogue: English is the reference, German must have exactly its keys
 * (`Translation<typeof en>`: a missing or extra key is a type error), placeholders are
 * `{name}`, and a message that depends on a count has plural forms chosen by Intl.PluralRules.
 */
import { activeFormatLocale } from './active-locale';
import type { Locale } from './locale';

/** The forms English and German need ("one", "other"); Intl.PluralRules picks one by `count`. */
export interface PluralMessage {
  one: string;
  other: string;
}
export type Message = string | PluralMessage;
export type Messages = Record<string, Message>;

/** Another language's catalogue for English `E`: the same keys, the same kind of message. */
export type Translation<E extends Messages> = {
  readonly [K in keyof E]: E[K] extends string ? string : PluralMessage;
};

export type Params = Record<string, string | number>;
export type Translate<E extends Messages> = (key: keyof E & string, params?: Params) => string;

/** `{name}` placeholders in a message, sorted (for the completeness test). */
export function placeholders(message: Message): string[] {
  const texts = typeof message === 'string' ? [message] : [message.one, message.other];
  const names = new Set<string>();
  for (const text of texts) for (const m of text.matchAll(/\{(\w+)\}/g)) names.add(m[1]!);
  return [...names].sort();
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralCategory(locale: string, count: number): Intl.LDMLPluralRule {
  let rules = pluralRules.get(locale);
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(locale)));
  return rules.select(count);
}

/** Fills `{name}` from `params`; numbers are written the locale's way (1,234 / 1.234). */
export function interpolate(text: string, params: Params | undefined, formatLocale: string): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? new Intl.NumberFormat(formatLocale).format(value) : value;
  });
}

/** One message in `locale`: the plural form for `params.count`, placeholders filled. */
export function render(message: Message, locale: Locale, params: Params | undefined, formatLocale: string = locale): string {
  if (typeof message === 'string') return interpolate(message, params, formatLocale);
  const count = typeof params?.count === 'number' ? params.count : Number.NaN;
  const form = pluralCategory(locale, count) === 'one' ? message.one : message.other;
  return interpolate(form, params, formatLocale);
}

/**
 * `t(key, params)` over the catalogues, in whatever language `locale()` says now (a rune
 * read there makes every template that calls `t` follow the switch).
 */
export function createTranslator<E extends Messages>(
  catalogues: { en: E; de: Translation<E> },
  locale: () => Locale,
): Translate<E> {
  return (key, params) => {
    const lang = locale();
    const message = (catalogues[lang] as unknown as Messages)[key] ?? catalogues.en[key];
    if (message === undefined) return key;
    return render(message, lang, params, activeFormatLocale() ?? lang);
  };
}

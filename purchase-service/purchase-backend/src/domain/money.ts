const digitsCache = new Map<string, number>();

/** How many decimals a currency has (EUR 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    d =
      new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ??
      2;
    digitsCache.set(currency, d);
  }
  return d;
}

/** Minor units as a plain decimal in the currency's major unit: 4950 EUR → "49.50", 4950 JPY → "4950". */
export const decimal = (minor: number, currency: string): string => {
  const d = currencyDigits(currency);
  return (minor / 10 ** d).toFixed(d);
};

/** Minor units as people read them in a mail or a log: "49.50 EUR", "4950 JPY". */
export const money = (minor: number, currency: string): string => `${decimal(minor, currency)} ${currency}`;

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Minor units as a fan reads them, with the currency's sign and its own decimals
 * (`Intl.NumberFormat`): 4950 EUR → "€49.50", 4950 JPY → "¥4,950".
 */
export const formatMoney = (minor: number, currency: string, locale = 'en'): string => {
  const key = `${locale}|${currency}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency });
    formatters.set(key, f);
  }
  return f.format(minor / 10 ** currencyDigits(currency));
};

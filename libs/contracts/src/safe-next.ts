/**
 * Where to send someone back to after a login or an e-mailed link: a path on this site, or
 * nothing. Browsers drop tabs and newlines from URLs and read `\` as `/`, so a string
 * check passes `/\t/evil.example`, which the browser follows as `//evil.example`.
 * Parsed with the URL API against a stand-in origin instead, exactly as the browser will
 * resolve it; the answer is the parsed form, so what is followed is what was checked.
 *
 * In the contracts: the feed backend and the feed pages share it.
 */
const BASE = 'https://same-site.invalid';

export function sameSitePath(next: unknown): string | undefined {
  if (typeof next !== 'string' || !next.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(next, BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== BASE) return undefined;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `sameSitePath(next)`, else `fallback`. */
export const safeNextPath = (next: unknown, fallback = '/feed/'): string => sameSitePath(next) ?? fallback;

/** Only same-site paths: `next` comes from the URL, so anything else is an open redirect. */
export function safeNext(next: string | null | undefined, fallback = '/feed/'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback;
  return next;
}

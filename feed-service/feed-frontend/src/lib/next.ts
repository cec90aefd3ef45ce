// The same check the feed backend makes (from the isomorphic contracts): a path on this site or the fallback.
import { safeNextPath } from '@ticketslave/contracts';

/** Only same-site paths: `next` comes from the URL, so anything else is an open redirect. */
export function safeNext(next: string | null | undefined, fallback = '/feed/'): string {
  return safeNextPath(next, fallback);
}

import { SERVICE_NAMES } from '../../dev/platform/paths';
import type { ConsoleEntry } from './browser';

/** The URL a console entry is about: the failed resource, or the WebSocket URL in its text. */
export function entryUrl(e: ConsoleEntry): string | undefined {
  const ws = /WebSocket connection to '([^']+)'/.exec(e.text);
  return ws?.[1] ?? e.url;
}

function statusOf(e: ConsoleEntry): number | undefined {
  const m = /status of (\d{3})\b|response code: (\d{3})\b/.exec(e.text);
  return m ? Number(m[1] ?? m[2]) : e.status;
}

/** Console errors that only report an expected 401 (not logged in): a fetch or a WebSocket handshake. */
export const expected401 = (e: ConsoleEntry): boolean => statusOf(e) === 401;

/** A 404 about something the test made up (an unknown event or order id): the honest answer. */
export const notFoundFor =
  (...unknownIds: string[]) =>
  (e: ConsoleEntry): boolean =>
    statusOf(e) === 404 && unknownIds.some((id) => entryUrl(e)?.includes(id));

/**
 * Which API paths the services declare in their OpenAPI documents. A 404 from an
 * `/<svc>/api/…` path nobody declares yet means the endpoint has not landed; the
 * smoke test tolerates that (and says so) so it stays green while services grow,
 * and starts failing on such 404s the moment the endpoint is declared.
 */
export async function declaredApi(baseUrl: string): Promise<(url: string) => boolean> {
  const patterns: RegExp[] = [];
  for (const svc of SERVICE_NAMES) {
    const res = await fetch(`${baseUrl}/${svc}/api/openapi.json`);
    if (!res.ok) continue;
    const doc = (await res.json()) as { paths?: Record<string, unknown> };
    for (const p of Object.keys(doc.paths ?? {})) {
      const source = p
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+');
      patterns.push(new RegExp(`^${source}/?$`));
    }
  }
  return (url: string) => {
    const { pathname } = new URL(url, baseUrl);
    return patterns.some((re) => re.test(pathname));
  };
}

/** A 404 from an API path no service declares yet (see `declaredApi`). */
export const notLandedYet =
  (declared: (url: string) => boolean) =>
  (e: ConsoleEntry): boolean => {
    const url = entryUrl(e);
    if (statusOf(e) !== 404 || !url) return false;
    const { pathname } = new URL(url);
    return /^\/[a-z]+\/api\//.test(pathname) && !declared(url);
  };

/** True when any of the predicates allows the entry. */
export const anyOf =
  (...allow: ((e: ConsoleEntry) => boolean)[]) =>
  (e: ConsoleEntry): boolean =>
    allow.some((a) => a(e));
